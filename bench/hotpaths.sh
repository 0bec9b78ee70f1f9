#!/usr/bin/env bash
# bench/hotpaths.sh - the Go benchmarks of the per-message hot paths (spool
# commit, audit append, policy evaluate, PGP and S/MIME encrypt, DKIM sign,
# TLS handshake, key lookup), run on two commits alternately and compared
# with benchstat. Issue 14 asks for these before/after.
#
#   bash bench/hotpaths.sh                 # BEFORE=f2f2062 (before issue 14's work), AFTER=HEAD
#   BEFORE=<rev> AFTER=<rev> COUNT=6 bash bench/hotpaths.sh
#   PKGS='crypto/' bash bench/hotpaths.sh   # only the suite entries whose package matches
#
# Each round runs every benchmark once on BEFORE, then once on AFTER, COUNT
# rounds, so a load that comes and goes hits both alike. A benchmark that does
# not exist at BEFORE shows in AFTER's column only. Output: benchstat's table,
# and the raw files in OUT (default /tmp/hotpaths).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${BEFORE:-f2f2062}
AFTER=${AFTER:-HEAD}
COUNT=${COUNT:-6}
OUT=${OUT:-/tmp/hotpaths}
PKGS=${PKGS:-}
BENCHSTAT=${BENCHSTAT:-$(command -v benchstat || echo "$(go env GOPATH)/bin/benchstat")}
[[ -x $BENCHSTAT ]] || go install golang.org/x/perf/cmd/benchstat@latest

# package|benchmark regexp|benchtime
SUITE=(
	"./gateway/spool|^BenchmarkCommit10KB$|2s"
	"./gateway/audit|^BenchmarkAppend$|2s"
	"./policy|^BenchmarkEvaluate20KB$|1s"
	"./crypto/pgp|^BenchmarkEncrypt$|1s"
	"./crypto/smime|^BenchmarkEncrypt$|1s"
	"./gateway/dkim|^BenchmarkSign10KB$|1s"
	"./gateway/smtpd|^BenchmarkTLSHandshake$|1s"
	"./gateway|^BenchmarkPGPRecipientPerMessage$|1s"
)

mkdir -p "$OUT"
trees=()
for rev in "$BEFORE" "$AFTER"; do
	dir="$OUT/tree-$(git rev-parse --short "$rev")"
	rm -rf "$dir"
	mkdir -p "$dir"
	git archive "$rev" | tar -x -C "$dir"
	trees+=("$dir")
done
: >"$OUT/before.txt"
: >"$OUT/after.txt"
for ((i = 1; i <= COUNT; i++)); do
	for side in 0 1; do
		file=$OUT/before.txt
		[[ $side == 1 ]] && file=$OUT/after.txt
		for entry in "${SUITE[@]}"; do
			IFS='|' read -r pkg re bt <<<"$entry"
			[[ -z $PKGS || $pkg =~ $PKGS ]] || continue
			# A package or benchmark missing at one commit is skipped there.
			(cd "${trees[$side]}" && [[ -d $pkg ]] &&
				go test -run '^$' -bench "$re" -benchtime "$bt" -count 1 -benchmem "$pkg" 2>/dev/null |
				grep -E '^(Benchmark|goos|goarch|pkg|cpu)' >>"$file") || true
		done
	done
	echo "hotpaths: round $i of $COUNT done (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done
echo "== benchstat: before $(git rev-parse --short "$BEFORE"), after $(git rev-parse --short "$AFTER")"
"$BENCHSTAT" before="$OUT/before.txt" after="$OUT/after.txt"
