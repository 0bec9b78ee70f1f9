#!/usr/bin/env python3
"""Assemble writer E's messages (msgs/*.txt) into RFC 5322 .eml fixtures.

Each msgs/<category>.txt holds many hand-written messages separated by a line
'%%%%'. A message starts with '@key: value' directives (file name, label,
attachments), then its RFC 5322 headers, a blank line, and the body text.
This script only wraps MIME around the texts; attachments are produced by
build.sh with LibreOffice / zip / iconv / ImageMagick into out/att/.
"""
import base64, hashlib, json, os, re, sys
from email.message import EmailMessage
from email import policy
from email.parser import BytesParser

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))   # testdata/phi-real
ATT = os.path.join(HERE, 'out', 'att')
MIME = {
    'pdf': 'application/pdf', 'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'odt': 'application/vnd.oasis.opendocument.text', 'rtf': 'application/rtf', 'csv': 'text/csv',
    'txt': 'text/plain', 'zip': 'application/zip', 'ics': 'text/calendar', 'png': 'image/png',
    'jpg': 'image/jpeg', 'html': 'text/html', 'htm': 'text/html', 'xls': 'application/vnd.ms-excel',
}

def parse_blocks(text):
    for block in re.split(r'(?m)^%%%%\s*$', text):
        block = block.strip('\n')
        if not block.strip():
            continue
        lines = block.split('\n')
        meta, i = {}, 0
        while i < len(lines) and lines[i].startswith('@'):
            k, _, v = lines[i][1:].partition(':')
            meta.setdefault(k.strip(), []).append(v.strip())
            i += 1
        rest = '\n'.join(lines[i:])
        head, _, body = rest.partition('\n\n')
        headers = []
        for hl in head.split('\n'):
            if hl.startswith((' ', '\t')) and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + ' ' + hl.strip())
            elif hl.strip():
                k, _, v = hl.partition(':')
                headers.append((k.strip(), v.strip()))
        yield meta, headers, body

def to_html(body):
    out = []
    for para in re.split(r'\n\s*\n', body.strip('\n')):
        esc = para.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
        out.append('<p class="MsoNormal">' + esc.replace('\n', '<br>\n') + '<o:p></o:p></p>')
    return ('<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '<style><!-- p.MsoNormal {margin:0in; font-size:11.0pt; font-family:"Calibri",sans-serif;} --></style>\n'
            '</head>\n<body lang="EN-US" link="#0563C1" vlink="#954F72">\n<div class="WordSection1">\n'
            + '\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'.join(out) + '\n</div>\n</body>\n</html>\n')

def build(meta, headers, body, inner):
    name = meta['file'][0]
    seed = hashlib.sha256(name.encode()).digest()
    m = EmailMessage(policy=policy.SMTP)
    hdrnames = {k.lower() for k, _ in headers}
    for k, v in headers:
        m[k] = v
    if 'message-id' not in hdrnames:
        dom = 'mail.example.org'
        frm = dict((k.lower(), v) for k, v in headers).get('from', '')
        mm = re.search(r'@([A-Za-z0-9.-]+)', frm)
        if mm: dom = mm.group(1)
        m['Message-ID'] = '<%s@%s>' % (seed[:12].hex().upper(), dom)
    if meta.get('outlook', ['no'])[0] == 'yes':
        subj = dict((k.lower(), v) for k, v in headers).get('subject', '')
        m['Thread-Topic'] = re.sub(r'^((RE|FW|Fwd|RV):\s*)+', '', subj, flags=re.I)
        m['Thread-Index'] = base64.b64encode(b'\x01' + seed[:21]).decode()
        m['Accept-Language'] = 'en-US'
        m['X-MS-Has-Attach'] = 'yes' if meta.get('attach') else ''
        m['X-MS-TNEF-Correlator'] = ''
        m['X-MS-Exchange-Organization-SCL'] = '-1'
        m['X-Originating-IP'] = '[10.%d.%d.%d]' % (seed[22] % 200, seed[23], seed[24] % 250 + 1)
    m['MIME-Version'] = '1.0'
    kind = meta.get('body', ['text'])[0]
    if body and not body.endswith('\n'):
        body += '\n'
    cte = '7bit' if body.isascii() else 'quoted-printable'
    if kind == 'rawhtml':   # body is already the HTML that Outlook sent
        m.set_content(body, subtype='html', cte='quoted-printable')
    elif kind == 'htmlonly':
        m.set_content(to_html(body), subtype='html', cte='quoted-printable')
    else:
        m.set_content(body, cte=cte)
        if kind == 'alt':
            m.add_alternative(to_html(body), subtype='html', cte='base64' if seed[0] % 2 else 'quoted-printable')
    for spec in meta.get('attach', []):
        parts = [p.strip() for p in spec.split(';')]
        src, opts = parts[0], dict(p.split('=', 1) for p in parts[1:])
        if src.startswith('msg:'):
            m.add_attachment(inner[src[4:]])
            if 'name' in opts:
                m.get_payload()[-1].set_param('name', opts['name'])
            continue
        fn = opts.get('name', os.path.basename(src))
        ext = src.rsplit('.', 1)[-1].lower()
        ctype = opts.get('type', MIME.get(ext, 'application/octet-stream'))
        with open(os.path.join(ATT, src), 'rb') as f:
            data = f.read()
        maintype, subtype = ctype.split('/')
        if ext == 'ics':
            m.add_attachment(data, maintype=maintype, subtype=subtype, filename=fn,
                             params={'method': 'REQUEST'} if 'method' in opts else {})
        else:
            m.add_attachment(data, maintype=maintype, subtype=subtype, filename=fn)
    if meta.get('outlook', ['no'])[0] == 'yes':
        m['Content-Language'] = 'en-US'
    inner_roots = set()
    for part in m.walk():
        if part.get_content_type() == 'message/rfc822':
            inner_roots.update(id(p) for p in part.get_payload())
    for part in m.walk():
        if part is not m and id(part) not in inner_roots:
            del part['MIME-Version']
    n = 0
    for part in m.walk():
        if part.get_content_maintype() == 'multipart':
            tag = seed[n:n + 10].hex().upper()
            if meta.get('outlook', ['no'])[0] == 'yes':
                part.set_boundary('_%03d_%s%s_' % (n, tag, 'MWHPR' if n % 2 else 'BYAPR'))
            else:
                part.set_boundary('00000000000%s' % tag[:17].lower())
            n += 1
    return m

def main():
    msgdir = os.path.join(HERE, 'msgs')
    total = 0
    for cat in sorted(os.listdir(msgdir)):
        if not cat.endswith('.txt'):
            continue
        catname = cat[:-4]
        outdir = os.path.join(ROOT, catname)
        os.makedirs(outdir, exist_ok=True)
        labels, inner = {}, {}
        with open(os.path.join(msgdir, cat), encoding='utf-8') as f:
            blocks = list(parse_blocks(f.read()))
        for meta, headers, body in blocks:
            m = build(meta, headers, body, inner)
            name = meta['file'][0]
            if name.startswith('_'):
                inner[name] = m
                continue
            fn = name + '.eml'
            data = m.as_bytes(policy=policy.SMTP)
            with open(os.path.join(outdir, fn), 'wb') as f:
                f.write(data)
            BytesParser(policy=policy.default).parsebytes(data)
            labels[fn] = {
                'phi': meta['phi'][0] == 'true',
                'why': meta['why'][0],
                'where': [w.strip() for w in meta['where'][0].split(',')],
                'unreadable': meta.get('unreadable', ['false'])[0] == 'true',
                'split': 'fresh2',
            }
            total += 1
        for old in os.listdir(outdir):
            if old.endswith('.eml') and old not in labels:
                os.remove(os.path.join(outdir, old))
        with open(os.path.join(outdir, 'labels.json'), 'w') as f:
            json.dump(labels, f, indent=2, sort_keys=True)
            f.write('\n')
        pos = sum(1 for v in labels.values() if v['phi'])
        print('%-12s %3d messages  %3d phi  %3d not' % (catname, len(labels), pos, len(labels) - pos))
    print('total', total)

if __name__ == '__main__':
    main()
