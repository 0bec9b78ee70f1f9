# syntax=docker/dockerfile:1
#
# sealgate container image.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t sealgate .
#
# Mount the config directory at /etc/sealgate (sealgate.yaml, spool.key, TLS
# files: owned by uid 10025, secrets mode 0600) and keep /var/lib/sealgate on
# a volume: it is the spool. See deploy/compose.yaml.
#
# The HEALTHCHECK asks the admin listener on 127.0.0.1:9025 inside the
# container, so admin.listen must be 127.0.0.1:9025 (the default) or
# 0.0.0.0:9025. With any other value, change or disable the HEALTHCHECK.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/sealgate ./cmd/sealgate \
 && /out/sealgate man /out/man1 \
 && /out/sealgate completion bash > /out/sealgate.bash

# debian-slim rather than distroless: the HEALTHCHECK needs an HTTP client,
# the relay's "verify" TLS needs the CA bundle from ca-certificates, and the
# policy engine reads PDFs with poppler's pdftotext in a limited subprocess
# (without it every PDF is unscannable and leaves encrypted). OCR
# (settings.ocr) needs tesseract: --build-arg OCR="tesseract-ocr tesseract-ocr-eng".
FROM debian:bookworm-slim
ARG OCR=""
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl poppler-utils ${OCR} \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10025 sealgate \
 && useradd --system --uid 10025 --gid sealgate --home-dir /var/lib/sealgate \
      --no-create-home --shell /usr/sbin/nologin sealgate \
 && install -d -m 0700 -o sealgate -g sealgate /var/lib/sealgate
COPY --from=build /out/sealgate /usr/local/bin/sealgate
# Generated from the binary at build time, so they match its --help. The slim
# image has no man(1); the pages are there for a derived image or docker cp.
COPY --from=build /out/man1/ /usr/local/share/man/man1/
COPY --from=build /out/sealgate.bash /usr/share/bash-completion/completions/sealgate
USER sealgate:sealgate
# The spool: an empty named volume takes this directory's owner and mode 0700.
VOLUME /var/lib/sealgate
# 25: smarthost listener (Microsoft 365 connectors use 25 only); 587: a
# second listener if you configure one; 9025: admin (/metrics, /healthz).
# A non-root process can bind 25 because Docker (20.10 and later) sets
# net.ipv4.ip_unprivileged_port_start=0 in the container's network namespace.
EXPOSE 25 587 9025
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9025/healthz || exit 1
# serve stops gracefully on SIGTERM (up to 30s for deliveries in flight):
# give the container at least that (docker stop -t 40, stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["sealgate"]
CMD ["serve", "-c", "/etc/sealgate/sealgate.yaml"]
