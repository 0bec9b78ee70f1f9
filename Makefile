# sealgate developer targets. `make bench` needs Postfix's smtp-source,
# smtp-sink and postfix (apt-get install postfix) and root for the
# private Postfix instance; see bench/run.sh and docs/benchmarks.md.

GO ?= go
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(HOME)/go/bin/staticcheck)

.PHONY: bench check curves test

bench:
	bash bench/run.sh

curves:
	bash bench/curves.sh

check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

test:
	$(GO) test -race ./...
