#!/bin/sh
# Regenerates the PDF corpus from src/ with the real tools. The outputs are
# committed; run this only to rebuild them (LibreOffice 7.4, ghostscript 10,
# poppler 22 on Debian 12 made the committed files).
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
lo() { soffice --headless -env:UserInstallation=file://$out/profile "$@" >/dev/null 2>&1; }

# LibreOffice Writer, Calc and Impress exports.
lo --infilter="HTML (StarWriter)" --convert-to pdf:writer_pdf_Export --outdir "$out" src/referral.html
cp "$out/referral.pdf" lo-writer-referral.pdf
lo --convert-to pdf:writer_pdf_Export --outdir "$out" src/discharge.txt
cp "$out/discharge.pdf" lo-writer-discharge.pdf
# An OpenType/CFF font (URW Nimbus Sans: embedded as Type 1) with Greek text.
lo --infilter="HTML (StarWriter)" --convert-to pdf:writer_pdf_Export --outdir "$out" src/intake-cff.html
cp "$out/intake-cff.pdf" lo-writer-intake-cff.pdf
lo --infilter=CSV:44,34,76 --convert-to pdf:calc_pdf_Export --outdir "$out" src/labs.csv
cp "$out/labs.pdf" lo-calc-labs.pdf
lo --infilter=CSV:44,34,76 --convert-to pdf:calc_pdf_Export --outdir "$out" src/patients.csv
cp "$out/patients.pdf" lo-calc-patients.pdf
lo --convert-to pdf:impress_pdf_Export --outdir "$out" src/tumorboard.fodp
cp "$out/tumorboard.pdf" lo-impress-tumorboard.pdf

# PHI only in the document information (title, keywords), a generic page.
lo --infilter="HTML (StarWriter)" --convert-to pdf:writer_pdf_Export --outdir "$out" src/worksheet-title.html
cp "$out/worksheet-title.pdf" lo-writer-title-only.pdf

# Multi-page: a 300-row patient list whose only SSN is on the last page.
{
  echo '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><h1>Clinic schedule</h1><table>'
  i=1
  while [ $i -le 300 ]; do
    echo "<tr><td>Slot $i</td><td>Room $((i % 7 + 1))</td><td>follow-up visit</td></tr>"
    i=$((i + 1))
  done
  echo '</table><p>Last patient: Lena Marsh, SSN 455-18-7623, MRN 6612094.</p></body></html>'
} >"$out/multipage.html"
lo --infilter="HTML (StarWriter)" --convert-to pdf:writer_pdf_Export --outdir "$out" "$out/multipage.html"
cp "$out/multipage.pdf" lo-writer-multipage.pdf

# Password-protected export (open password "secret").
lo --convert-to 'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},"DocumentOpenPassword":{"type":"string","value":"secret"}}' --outdir "$out" src/discharge.txt
cp "$out/discharge.pdf" lo-writer-encrypted.pdf

# Owner password only (copying forbidden, opens without a password): the
# text is readable and must be read.
lo --convert-to 'pdf:writer_pdf_Export:{"RestrictPermissions":{"type":"boolean","value":"true"},"PermissionPassword":{"type":"string","value":"owner"},"EnableCopyingOfContent":{"type":"boolean","value":"false"}}' --outdir "$out" src/discharge.txt
cp "$out/discharge.pdf" lo-writer-restricted.pdf

# Ghostscript: a PostScript claim letter (Helvetica) and a Type 3 font.
ps2pdf src/claim.ps gs-claim.pdf
ps2pdf src/type3.ps gs-type3.pdf

# A "scan": the referral letter rasterised at 200 dpi and wrapped as an
# image-only PDF, as a scanner or "print to image" produces it.
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfimage24 -r200 -sOutputFile=scan-referral.pdf lo-writer-referral.pdf

# Text turned into outlines ("flattened"): no text, no image, but a page
# anyone can read.
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -dNoOutputFonts -sOutputFile=gs-outlines.pdf lo-writer-referral.pdf

# Broken: the referral cut in half (no xref, no trailer, streams cut).
head -c "$(( $(wc -c <lo-writer-referral.pdf) / 2 ))" lo-writer-referral.pdf >broken-truncated.pdf

# A scan whose title names the patient: still a scan (image_only), title read.
gs -q -o scan-with-title.pdf -sDEVICE=pdfwrite scan-referral.pdf -c "[ /Title (Scan - Xiong Deborah - referral) /DOCINFO pdfmark"
