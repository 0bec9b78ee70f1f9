#!/bin/sh
# Writes the observed cases of issue 9 for PDFs as whole messages:
# testdata/phi/observed/pdf-<fixture>.eml (a short cover note with the PDF
# attached, base64, CRLF) and its .want (expectations through the whole
# engine with the shipped default policy, OCR off).
set -eu
cd "$(dirname "$0")"
dst=../../phi/observed
mkdir -p "$dst"
mk() { # fixture, then one expectation per argument
  f=$1; shift
  slug=pdf-${f%.pdf}
  {
    printf 'From: Front Desk <frontdesk@clinic.example>\r\n'
    printf 'To: referrals@specialist.example\r\n'
    printf 'Subject: Documents for our patient\r\n'
    printf 'Date: Tue, 03 Mar 2026 09:15:00 -0500\r\n'
    printf 'Message-ID: <%s@clinic.example>\r\n' "$slug"
    printf 'MIME-Version: 1.0\r\n'
    printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    printf -- '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
    printf 'Hello, please find the attached document. Thanks, front desk\r\n'
    printf -- '--b1\r\nContent-Type: application/pdf; name="%s"\r\n' "$f"
    printf 'Content-Disposition: attachment; filename="%s"\r\n' "$f"
    printf 'Content-Transfer-Encoding: base64\r\n\r\n'
    base64 -w 76 "$f" | sed 's/$/\r/'
    printf -- '--b1--\r\n'
  } >"$dst/$slug.eml"
  printf '%s\n' "$@" >"$dst/$slug.want"
}
mk lo-writer-referral.pdf 'finding ssn' 'finding mrn' flagged
mk lo-writer-discharge.pdf 'finding ssn' 'finding mrn' flagged
mk lo-writer-multipage.pdf 'finding ssn' 'finding mrn' flagged
mk lo-writer-intake-cff.pdf 'finding ssn' 'finding mrn' flagged
mk lo-writer-restricted.pdf 'finding ssn' 'finding mrn' flagged
mk lo-calc-patients.pdf 'finding ssn' flagged
mk lo-calc-labs.pdf 'finding mrn' flagged
mk lo-impress-tumorboard.pdf 'finding ssn' 'finding mrn' flagged
mk gs-claim.pdf 'finding ssn' 'finding mrn' flagged
mk gs-type3.pdf 'finding ssn' 'finding mrn' flagged
# A scan (OCR off by default), a password-protected export, a cut file:
# never "scanned, no findings".
mk scan-referral.pdf 'unscannable image_only' flagged
mk gs-outlines.pdf 'unscannable image_only' flagged
mk lo-writer-encrypted.pdf 'unscannable encrypted' flagged
mk broken-truncated.pdf 'unscannable decode' flagged
