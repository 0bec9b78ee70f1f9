// Package testtool is for tests only: it finds the independent tools that
// interop tests drive (swaks, openssl, gpg, pdftotext, tesseract, ...) and
// decides what a missing one means.
//
// The rule, written once: without the tool a test skips, so `go test ./...`
// passes on a bare machine; with SEALGATE_REQUIRE_INTEROP=1 (CI, where the
// tools are installed on purpose) a missing tool fails the test, so an
// interop check can never silently stop running. It imports nothing of
// sealgate's.
package testtool
