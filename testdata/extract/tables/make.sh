#!/bin/sh
# Regenerates the table fixtures from the .fods sources (flat ODF
# spreadsheets, written by hand) with LibreOffice 7.4 (Debian bookworm).
# The .eml regression cases in testdata/phi/observed/tbl-* are built from
# them by make_eml.py.
set -e
cd "$(dirname "$0")"
export HOME="${TMPDIR:-/tmp}/sealgate-soffice-home"
soffice --headless --convert-to xlsx patients.fods
soffice --headless --convert-to ods patients.fods
soffice --headless --convert-to html patients.fods
# One CSV per sheet (the last filter option, -1, means every sheet):
# patients-Patients.csv and "patients-Split SSN.csv".
soffice --headless --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' patients.fods
mv patients-Patients.csv patients.csv
mv "patients-Split SSN.csv" split-ssn.csv
soffice --headless --convert-to csv invoice.fods
soffice --headless --convert-to xlsx ssn-format.fods
soffice --headless --convert-to 'docx:MS Word 2007 XML' referral-table.html
python3 make_eml.py
