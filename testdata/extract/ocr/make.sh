#!/bin/sh
# Regenerates the OCR fixtures: page 1 of the LibreOffice referral letter
# (../pdf/lo-writer-referral.pdf, made by ../pdf/make.sh) rendered as a
# 150 dpi greyscale PNG, as a phone "scan" or a screenshot would be, and the
# same page as a JPEG (ImageMagick).
set -eu
cd "$(dirname "$0")"
pdftoppm -r 150 -gray -png -f 1 -l 1 -singlefile ../pdf/lo-writer-referral.pdf referral
convert referral.png -quality 85 referral.jpg
