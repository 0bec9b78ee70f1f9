# Writes the fmt-*.eml regression messages and their .want files from the fixtures in
# testdata/extract (python3 fmt-make.py). fmt-unknown-binary embeds the first 3000 bytes of /bin/true.
import base64, os, sys
import pathlib
T=str(pathlib.Path(__file__).resolve().parents[2] / 'extract') + '/'
def b64(b):
    s=base64.b64encode(b).decode()
    return '\r\n'.join(s[i:i+76] for i in range(0,len(s),76))
def hdr(subj, ct):
    return ("From: Front Desk <frontdesk@lakeside-clinic.example>\r\nTo: Billing <billing@partner.example>\r\n"
            "Subject: "+subj+"\r\nDate: Tue, 01 Dec 2026 09:12:00 +0000\r\nMessage-ID: <"+subj.replace(' ','.')+"@lakeside-clinic.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: "+ct+"\r\n\r\n")
def mixed(subj, body, atts, preamble="", epilogue=""):
    s=hdr(subj,'multipart/mixed; boundary="=_NextPart_000"')
    s+=preamble
    s+="--=_NextPart_000\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"+body+"\r\n"
    for ct,name,data in atts:
        s+="--=_NextPart_000\r\nContent-Type: "+ct+(('; name="'+name+'"') if name else '')+"\r\n"
        if name: s+='Content-Disposition: attachment; filename="'+name+'"\r\n'
        s+="Content-Transfer-Encoding: base64\r\n\r\n"+b64(data)+"\r\n"
    s+="--=_NextPart_000--\r\n"+epilogue
    return s
def rd(p): return open(T+p,'rb').read()
cases={
 'fmt-tnef-rtf-body': (mixed('Referral', 'Please see the referral below.', [('application/ms-tnef','winmail.dat',rd('tnef/rtf.dat'))]),
    ['finding ssn','finding mrn','finding dob','flagged']),
 'fmt-tnef-html-body': (mixed('Lab results', 'Lab results attached.', [('application/ms-tnef','winmail.dat',rd('tnef/html.dat'))]),
    ['finding ssn','finding mrn','finding dob','flagged']),
 'fmt-dicom': (mixed('Imaging for review', 'Study for your review.', [('application/dicom','IMG0001.dcm',rd('dicom/patient.dcm'))]),
    ['finding ssn','finding mrn','finding dob','flagged']),
 'fmt-dicom-octet': (mixed('Imaging for review', 'Study for your review.', [('application/octet-stream','IMG0001',rd('dicom/patient-implicit.dcm'))]),
    ['finding ssn','finding mrn','finding dob','flagged']),
 'fmt-utf16-notepad-bom': (mixed('Notes', 'Notes attached.', [('text/plain','notes.txt',rd('sniff/notepad-unicode.txt'))]),
    ['finding ssn','finding mrn','flagged']),
 'fmt-utf16le-octet-nobom': (mixed('Notes', 'Notes attached.', [('application/octet-stream','export.dat',rd('sniff/utf16le-nobom.txt'))]),
    ['finding ssn','finding mrn','flagged']),
 'fmt-utf16-crlf-mangled': (mixed('Triage notes', 'Notes attached.', [('text/plain; charset="utf-8"','triage.txt',rd('sniff/utf16le-crlf-mangled.txt'))]),
    ['finding ssn','finding mrn','flagged']),
 'fmt-unknown-binary': (mixed('Export', 'Export attached.', [('application/octet-stream','export.bin',open('/bin/true','rb').read()[:3000])]),
    ['unscannable format','flagged']),
 'fmt-filename-ssn': (mixed('Scan', 'Scan attached.', [('image/png','Smith_John_SSN_512-48-3901.png',rd('sniff/blank.png'))]),
    ['finding ssn','flagged']),
 'fmt-preamble-digits': (mixed('Claim', 'Thanks.', [], preamble="Claim correction: SSN 512-48-3901\r\n"),
    ['finding ssn','flagged']),
 'fmt-epilogue-digits': (mixed('Claim', 'Thanks.', [], epilogue="Member SSN 512-48-3901\r\n"),
    ['finding ssn','flagged']),
}
alt = hdr('Appointment reminder','multipart/alternative; boundary="alt"') + (
 "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nReminder: Jane Q Testcase, SSN 512-48-3901, appointment Tuesday 10:00.\r\n"
 "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Reminder: Jane Q Testcase, SSN <b>512-48-3901</b>, appointment Tuesday 10:00.</p>\r\n"
 "--alt\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Appointment\r\nDESCRIPTION:Reminder: Jane Q Testcase, SSN 512-48-3901\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
 "--alt--\r\n")
cases['fmt-alternatives-once']=(alt,['finding ssn','flagged'])
for k,(m,w) in cases.items():
    if not any(x.startswith('unscannable') for x in w):
        w = w + ['scanned']  # every part read to the end
    open(str(pathlib.Path(__file__).parent / (k+'.eml')),'w',newline='').write(m)
    open(str(pathlib.Path(__file__).parent / (k+'.want')),'w').write('\n'.join(w)+'\n')
