#!/bin/bash
# Rebuild writer E's slice of testdata/phi-real: convert the attachment sources
# in att-src/ with the real tools into out/att/, then assemble the .eml files
# from msgs/*.txt with build.py. Needs: soffice, iconv, zip, ImageMagick, pdftoppm.
set -euo pipefail
cd "$(dirname "$0")"
S=att-src
O=out/att
W=out/work
rm -rf out && mkdir -p "$O" "$W"
export SOURCE_DATE_EPOCH=1795000000

lo() { # lo <format> <outname> <src> [infilter]
  local fmt=$1 name=$2 src=$3 inf=${4:-}
  rm -rf "$W/lo" && mkdir -p "$W/lo"
  if [ -n "$inf" ]; then
    soffice --headless --infilter="$inf" --convert-to "$fmt" --outdir "$W/lo" "$src" >/dev/null 2>&1
  else
    soffice --headless --convert-to "$fmt" --outdir "$W/lo" "$src" >/dev/null 2>&1
  fi
  mv "$W"/lo/* "$O/$name"
}
utf16() { # utf16 <bom|nobom> <outname> <src>
  if [ "$1" = bom ]; then printf '\xff\xfe' > "$O/$2"; else : > "$O/$2"; fi
  iconv -f UTF-8 -t UTF-16LE "$3" >> "$O/$2"
}
scan() { # scan <outname.pdf> <src.txt>: fax-quality image-only PDF
  convert -size 1700x2200 xc:white -font DejaVu-Sans-Mono -pointsize 34 -fill black \
    -annotate +90+160 "$(cat "$2")" -rotate 0.7 -attenuate 0.35 +noise Impulse \
    -colorspace Gray -threshold 55% -resize 50% -type bilevel "$W/scan.png"
  rm -rf "$W/lo" && mkdir -p "$W/lo"   # ImageMagick may not write PDF (policy): LibreOffice Draw places the page image
  soffice --headless --convert-to pdf --outdir "$W/lo" "$W/scan.png" >/dev/null 2>&1
  mv "$W/lo/scan.pdf" "$O/$1"
}
photo() { # photo <outname.png> <src.txt>: phone photo of a handwritten-ish note
  convert -size 900x1100 xc:'#f3ecd6' -font DejaVu-Sans-Oblique -pointsize 36 -fill '#1d2a6b' \
    -annotate +50+90 "$(cat "$2")" -blur 0x0.8 -attenuate 0.4 +noise Gaussian \
    -background '#5b4a3a' -rotate -4 -resize 60% -quality 72 "$O/$1"
}

# positives
lo pdf  a01-discharge-summary.pdf "$S/a01-discharge-summary.html" "HTML (StarWriter)"
lo docx a02-referral-letter.docx  "$S/a02-referral-letter.fodt"
lo xlsx a03-noshow-outreach.xlsx  "$S/a03-noshow-outreach.fods"
cp "$S/a04-lab-export.csv" "$O/"
lo pptx a05-mm-conference.pptx    "$S/a05-mm-conference.fodp"
lo odt  a06-careplan.odt          "$S/a06-careplan.fodt"
lo rtf  a07-consult-dictation.rtf "$S/a07-consult-dictation.txt" "Text (encoded):UTF8,CRLF,,"
utf16 bom   a08-call-log.txt  "$S/a08-call-log.txt"
utf16 nobom a09-willcall.txt  "$S/a09-willcall.txt"
lo pdf  a10-eob.pdf               "$S/a10-eob.html" "HTML (StarWriter)"
(cd "$W" && rm -rf zip10 && mkdir zip10 && cp "../att/a10-eob.pdf" zip10/EOB_20261118.pdf \
  && cd zip10 && TZ=UTC touch -d '2026-11-24 20:10' EOB_20261118.pdf && zip -X -q ../../att/a10-eob.zip EOB_20261118.pdf)
cp "$S/a12-procedure.ics" "$O/"
cp "$S/a17-visit-summary.htm" "$O/"
scan a13-fax-referral.pdf "$S/a13-fax-referral.txt"
photo a14-medlist.jpg "$S/a14-medlist.txt"
lo pdf  a15-faxcover.pdf          "$S/a15-faxcover.html" "HTML (StarWriter)"
lo xlsx a16-vaccine-exemptions.xlsx "$S/a16-vaccine-exemptions.csv" "CSV:44,34,76,1"
lo xlsx a18-opioid-registry.xlsx  "$S/a18-opioid-registry.fods"
lo docx a19-school-excuse.docx    "$S/a19-school-excuse.fodt"

# negatives
lo pdf  n01-intake-form.pdf       "$S/n01-intake-form.fodt"
lo docx n02-phi-email-policy.docx "$S/n02-phi-email-policy.html" "HTML (StarWriter)"
lo xlsx n03-quality-dashboard.xlsx "$S/n03-quality-dashboard.csv" "CSV:44,34,76,1"
cp "$S/n04-par-inventory.csv" "$O/"
lo pptx n05-sepsis-training.pptx  "$S/n05-deesc-training.fodp"
lo odt  n06-pt-minutes.odt        "$S/n06-pt-minutes.fodt"
lo rtf  n07-coder-jd.rtf          "$S/n07-coder-jd.txt" "Text (encoded):UTF8,CRLF,,"
utf16 bom n08-ifelog.txt "$S/n08-ifelog.txt"
lo pdf  n09-flyer-fair.pdf        "$S/n09-flyer-fair.html" "HTML (StarWriter)"
pdftoppm -png -r 40 -singlefile "$O/n09-flyer-fair.pdf" "$W/n09-flyer"
(cd "$W" && rm -rf zip09 && mkdir zip09 && cp ../att/n09-flyer-fair.pdf zip09/Feria_Salud_flyer.pdf \
  && cp n09-flyer.png zip09/Feria_Salud_instagram.png && cd zip09 \
  && TZ=UTC touch -d '2026-11-25 17:00' ./* && zip -X -q ../../att/n09-flyers.zip Feria_Salud_flyer.pdf Feria_Salud_instagram.png)
cp "$S/n10-tumor-board.ics" "$O/"
lo pdf  n11-case-series-abstract.pdf "$S/n11-case-series-abstract.html" "HTML (StarWriter)"
cp "$S/n12-open-slots.csv" "$O/"

python3 build.py
