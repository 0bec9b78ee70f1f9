#!/usr/bin/env python3
"""Rebuild writer A's half of testdata/phi-real.

Messages are hand-written, one block each, in msgs/<category>.txt. Each block:

    === NNN-slug
    Header-Name: value           (any RFC 5322 header; From/To/Subject/Date ...)
    @phi: true|false             (label)
    @why: ...                    (label reason)
    @where: body, attachment:pdf (label)
    @unreadable: true            (optional)
    @split: holdout|dev          (optional; default: NNN % 3 == 0 -> holdout, fixed before any scoring)
    @attach: att/x.fods -> xlsx | File Name.xlsx     (convert with LibreOffice / iconv / ghostscript)
    @zip: Name.zip | att/a.fodt -> docx as a.docx ; att/b.csv as b.csv
    @inline: att/x.html -> png | image001.png | cid   (image inside the HTML part, multipart/related)
    @htmlonly: true              (body is text/html only)
    @cte: base64|quoted-printable|8bit   (optional body transfer encoding)
    @client: outlook|web|iphone|none  (which client headers to add; default guessed from the sender)
    @charset: windows-1252       (optional body charset)
    @unescape: true              (\\uXXXX in headers/body/html become that character: NBSP, ZWSP, fullwidth ...)

    plain body ...
    <<<HTML
    html alternative ...
    >>>HTML

Conversions: pdf/docx/xlsx/odt/pptx/csv (soffice --headless), utf16bom/utf16 (iconv -t UTF-16LE),
scanpdf (soffice PDF -> ghostscript raster -> ImageMagick noise/skew -> JPEG -> LibreOffice Draw image-only PDF),
png (same raster, as a photo), dicom (dcmtk img2dcm, tags from Key=Value lines), eml (attach as message/rfc822), built (a message block built into a
nested .eml), none (attach the file as is).
Requires: python3, libreoffice, ghostscript, imagemagick, iconv, zip.
"""
import datetime, email.policy, email.utils, hashlib, json, mimetypes, os, re, shutil, subprocess, sys, zipfile
from email.message import EmailMessage
from email import message_from_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))      # testdata/phi-real
OUT = os.path.join(HERE, '.build')                          # conversion cache (not committed)
POL = email.policy.default.clone(linesep='\r\n', max_line_length=78)

MIME = {'pdf': 'application/pdf', 'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'odt': 'application/vnd.oasis.opendocument.text', 'csv': 'text/csv', 'txt': 'text/plain',
        'zip': 'application/zip', 'png': 'image/png', 'jpg': 'image/jpeg', 'htm': 'text/html', 'html': 'text/html',
        'xls': 'application/vnd.ms-excel', 'doc': 'application/msword', 'rtf': 'application/rtf',
        'eml': 'message/rfc822', 'xml': 'application/xml', 'dcm': 'application/dicom', 'ics': 'text/calendar'}

def run(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)

def soffice(src, fmt):
    os.makedirs(OUT, exist_ok=True)
    base = os.path.splitext(os.path.basename(src))[0]
    dst = os.path.join(OUT, base + '.' + fmt)
    if not os.path.exists(dst) or os.path.getmtime(dst) < os.path.getmtime(src):
        args = ['soffice', '-env:UserInstallation=file://' + os.path.join(OUT, 'lo-profile'), '--headless']
        target = fmt
        if src.endswith(('.html', '.htm')) and fmt != 'pdf':
            args += ['--infilter=HTML (StarWriter)']
            target = {'docx': 'docx:MS Word 2007 XML', 'odt': 'odt', 'doc': 'doc:MS Word 97', 'rtf': 'rtf'}[fmt]
        elif src.endswith(('.html', '.htm')):
            args += ['--infilter=HTML (StarWriter)']
        run(*args, '--convert-to', target, '--outdir', OUT, src)
    return dst

def raster(src, tag):
    """Text source -> PDF -> 110 dpi grey raster with skew and noise (a fax/scanner look)."""
    pdf = src if src.endswith('.pdf') else soffice(src, 'pdf')
    base = os.path.join(OUT, os.path.splitext(os.path.basename(src))[0] + '-' + tag)
    run('gs', '-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=pnggray', '-r110', '-dFirstPage=1', '-dLastPage=1',
        '-o', base + '-raw.png', pdf)
    run('convert', base + '-raw.png', '-background', 'white', '-rotate', '0.7', '-attenuate', '0.35',
        '+noise', 'Gaussian', '-level', '8%,92%', '-quality', '38', base + '.jpg')
    return base

def convert(src, conv):
    src = os.path.join(HERE, src)
    if conv in (None, '', 'none'):
        return open(src, 'rb').read()
    if conv in ('pdf', 'docx', 'xlsx', 'odt', 'pptx', 'csv', 'xls', 'doc', 'rtf'):
        return open(soffice(src, conv), 'rb').read()
    if conv in ('utf16bom', 'utf16'):
        data = subprocess.run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16LE', src], check=True,
                              stdout=subprocess.PIPE).stdout
        data = data.replace('\n'.encode('utf-16le'), '\r\n'.encode('utf-16le'))
        return (b'\xff\xfe' + data) if conv == 'utf16bom' else data
    if conv == 'scanpdf':
        base = raster(src, 'scan')
        return open(soffice(base + '.jpg', 'pdf'), 'rb').read()     # LibreOffice Draw: image-only PDF
    if conv == 'png':
        base = raster(src, 'photo')
        run('convert', base + '.jpg', '-resize', '80%', base + '.png')
        return open(base + '.png', 'rb').read()
    if conv == 'built':      # a message block (same format as msgs/*.txt) built into an .eml to attach
        name, hdrs, meta, body, html = next(parse(src))
        return build('inner', name, hdrs, meta, body, html, 0).as_bytes(policy=POL)
    if conv == 'dicom':      # DICOM: tags from a Key=Value text file, pixel data a small grey image (dcmtk img2dcm)
        os.makedirs(OUT, exist_ok=True)
        base = os.path.join(OUT, os.path.splitext(os.path.basename(src))[0])
        run('convert', '-size', '192x192', 'radial-gradient:white-black', '-attenuate', '0.6', '+noise', 'Gaussian',
            '-colorspace', 'Gray', '-quality', '50', base + '.jpg')
        keys = []
        for line in open(src, encoding='utf-8'):
            if '=' in line:
                keys += ['-k', line.strip()]
        run('img2dcm', base + '.jpg', base + '.dcm', *keys)
        return open(base + '.dcm', 'rb').read()
    if conv == 'eml':
        return open(src, 'rb').read()
    raise SystemExit('unknown conversion ' + conv)

def parse_src(spec):
    m = re.match(r'\s*(\S+)\s*(?:->\s*(\S+))?\s*$', spec)
    return m.group(1), m.group(2)

def parse(path):
    text = open(path, encoding='utf-8').read()
    blocks = re.split(r'^=== (\S+)\s*$', text, flags=re.M)
    for i in range(1, len(blocks), 2):
        name, raw = blocks[i], blocks[i + 1].lstrip('\n')
        html = None
        m = re.search(r'^<<<HTML\n(.*?)^>>>HTML\n?', raw, flags=re.M | re.S)
        if m:       # the HTML alternative may sit anywhere in the block
            html, raw = m.group(1), raw[:m.start()] + raw[m.end():]
            if raw[:m.start()].rstrip('\n').count('\n\n') == 0 and not raw[m.start():].startswith('\n'):
                raw = raw[:m.start()].rstrip('\n') + '\n\n' + raw[m.start():].lstrip('\n')
        head, _, body = raw.partition('\n\n')
        hdrs, meta = [], {'attach': [], 'zip': [], 'inline': []}
        for line in head.split('\n'):
            if line.startswith('@'):
                k, _, v = line[1:].partition(':')
                k, v = k.strip(), v.strip()
                if k in ('attach', 'zip', 'inline'):
                    meta[k].append(v)
                else:
                    meta[k] = v
            elif line[:1] in ' \t' and hdrs:
                hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + ' ' + line.strip())
            elif line.strip():
                k, _, v = line.partition(':')
                hdrs.append((k.strip(), v.strip()))
        body = body.rstrip('\n') + '\n'
        yield name, hdrs, meta, body, html

def boundary(name, n):
    return '=_%s_%d_%s' % (hashlib.sha1(name.encode()).hexdigest()[:16], n, 'sg')

def unescape(t):
    return re.sub(r'\\u([0-9a-fA-F]{4})', lambda m: chr(int(m.group(1), 16)), t)

PERSONAL = ('gmail.com', 'yahoo.com', 'icloud.com', 'aol.com', 'hotmail.com', 'outlook.com', 'comcast.net',
            'msn.com', 'att.net', 'centurytel.net')
AUTOMATED = re.compile(r'no-?reply|notif|rightfax|scanner|pacs|portal|digest|voicemail|epic', re.I)

def client_headers(msg, have, meta, body, idx):
    """Headers the sending client/server would add (only where the block did not write its own)."""
    frm = msg.get('From', '')
    dom = (re.search(r'@([\w.-]+)', frm) or re.search('(x)', 'x')).group(1).lower()
    h = hashlib.sha1((frm + msg.get('Subject', '') + str(idx)).encode()).digest()
    if 'received' not in have:
        host = ('mail-%s.%s' % (h[0] % 40, 'google.com') if dom == 'gmail.com' else 'mail.' + dom)
        rcvd = 'from %s (%s [%s]) by mx1.sealgate.example (Postfix) with ESMTPS id %s' % (
            host, host, '203.0.113.%d' % (h[1] % 250 + 2), h[2:8].hex().upper()) + '; ' + msg['Date']
        msg._headers.insert(0, msg.policy.header_store_parse('Received', rcvd))     # trace headers go on top
    profile = meta.get('client')
    if not profile:
        if AUTOMATED.search(frm):
            profile = 'none'
        elif dom in PERSONAL:
            profile = 'iphone' if 'Sent from my iPhone' in body else 'web'
        else:
            profile = 'outlook'
    if profile == 'outlook' and 'thread-index' not in have:
        topic = re.sub(r'^((RE|FW|Fwd|Fw|AW|WG)\s*:\s*)+', '', msg.get('Subject', ''), flags=re.I)
        if 'thread-topic' not in have:
            msg['Thread-Topic'] = topic
        import base64
        msg['Thread-Index'] = base64.b64encode(h[:16] + hashlib.md5(topic.encode()).digest()[:6]).decode()
        if 'content-language' not in have:
            msg['Content-Language'] = 'en-US'
        msg['X-MS-Has-Attach'] = 'yes' if (meta['attach'] or meta['zip']) else ''
        msg['X-MS-TNEF-Correlator'] = ''
        msg['X-MS-Exchange-Organization-AuthAs'] = 'Internal'
        msg['X-MS-Exchange-Organization-AuthSource'] = 'EXCH%02d.%s' % (h[9] % 4 + 1, dom)
    elif profile == 'iphone' and 'x-mailer' not in have:
        msg['X-Mailer'] = 'iPhone Mail (22B83)'

def build(cat, name, hdrs, meta, body, html, idx):
    if meta.get('unescape') == 'true':      # \uXXXX in headers/body -> the character (invisible ones stay readable in src)
        hdrs = [(k, unescape(v)) for k, v in hdrs]
        body = unescape(body)
        html = unescape(html) if html is not None else None
    msg = EmailMessage(policy=POL)
    have = {k.lower() for k, _ in hdrs}
    for k, v in hdrs:
        msg[k] = v
    if 'date' not in have:
        tz = datetime.timezone(datetime.timedelta(hours=-5))
        day = datetime.datetime(2025, 11, 3 + (idx * 5 // 7) % 3, 7, 30, tzinfo=tz)   # Nov 3-5, the week the texts talk about
        when = day + datetime.timedelta(seconds=(idx * 7919 + len(body) * 37) % 37800)   # 07:30-18:00
        msg['Date'] = email.utils.format_datetime(when)
    client_headers(msg, have, meta, body, idx)
    if 'message-id' not in have:
        dom = (re.search(r'@([\w.-]+)', msg.get('From', '')) or re.search('(x)', 'x')).group(1)
        msg['Message-ID'] = '<%s.%s@%s>' % (hashlib.md5((cat + name).encode()).hexdigest()[:20], idx, dom)
    cte = meta.get('cte')
    kw = {'cte': cte} if cte else {}
    if meta.get('charset'):                 # e.g. windows-1252 from an old client
        kw['charset'] = meta['charset']
    if meta.get('htmlonly') == 'true':
        msg.set_content(body, subtype='html', **kw)
    else:
        msg.set_content(body, **kw)
        if html is not None:
            msg.add_alternative(html, subtype='html', **kw)
    for spec in meta.get('inline', []):      # images shown inside the HTML part (multipart/related, cid:)
        fields = [f.strip() for f in spec.split('|')]
        src, conv = parse_src(fields[0])
        cid = fields[2] if len(fields) > 2 else 'image001'
        msg.get_body(('html',)).add_related(convert(src, conv), 'image', 'png', cid='<%s>' % cid,
                                             filename=fields[1] if len(fields) > 1 else None)
    parts = []
    for spec in meta['attach']:
        fields = [f.strip() for f in spec.split('|')]
        src, conv = parse_src(fields[0])
        fname = fields[1] if len(fields) > 1 else os.path.basename(src)
        parts.append((fname, convert(src, conv), fields[2] if len(fields) > 2 else None))
    for spec in meta['zip']:
        zname, _, members = spec.partition('|')
        zpath = os.path.join(OUT, zname.strip().replace(' ', '_'))
        if os.path.exists(zpath):
            os.remove(zpath)
        tmp = os.path.join(OUT, 'zip-' + name)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        names = []
        for mem in members.split(';'):
            left, _, arc = mem.partition(' as ')
            src, conv = parse_src(left)
            arc = arc.strip() or os.path.basename(src)
            os.makedirs(os.path.dirname(os.path.join(tmp, arc)) or tmp, exist_ok=True)
            open(os.path.join(tmp, arc), 'wb').write(convert(src, conv))
            names.append(arc)
        run('zip', '-q', '-X', zpath, *names, cwd=tmp)      # the real zip tool
        parts.append((zname.strip(), open(zpath, 'rb').read(), None))
    if parts or html is not None or meta.get('htmlonly') == 'true':
        pass
    for fname, data, ctype in parts:
        ext = fname.rsplit('.', 1)[-1].lower()
        ctype = ctype or MIME.get(ext, 'application/octet-stream')
        maintype, subtype = ctype.split('/')
        if ctype == 'message/rfc822':
            inner = message_from_bytes(data, policy=POL)
            msg.add_attachment(inner, filename=fname)
        elif maintype == 'text' and not data.startswith(b'\xff\xfe') and not meta.get('utf16') and ext != 'txt16':
            try:
                msg.add_attachment(data.decode('utf-8'), subtype=subtype, filename=fname)
            except UnicodeDecodeError:
                msg.add_attachment(data, maintype='application', subtype='octet-stream', filename=fname)
        else:
            if maintype == 'text':       # UTF-16 text: send as bytes (Outlook does base64 here)
                msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
                part = msg.get_payload()[-1]
                part.set_param('charset', 'utf-16' if data.startswith(b'\xff\xfe') else 'utf-16le')
            else:
                msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
    # deterministic boundaries
    n = 0
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(boundary(cat + name, n)); n += 1
    return msg

def main():
    only = sys.argv[1:]
    for fn in sorted(os.listdir(os.path.join(HERE, 'msgs'))):
        if not fn.endswith('.txt'):
            continue
        cat = fn[:-4]
        if only and cat not in only:
            continue
        d = os.path.join(ROOT, cat)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old.endswith('.eml'):
                os.remove(os.path.join(d, old))
        labels = {}
        for idx, (name, hdrs, meta, body, html) in enumerate(parse(os.path.join(HERE, 'msgs', fn))):
            msg = build(cat, name, hdrs, meta, body, html, idx)
            data = msg.as_bytes(policy=POL)
            open(os.path.join(d, name + '.eml'), 'wb').write(data)
            num = int(name.split('-')[0])
            lab = {'phi': meta['phi'] == 'true', 'why': meta.get('why', ''),
                   'where': [w.strip() for w in meta.get('where', 'body').split(',') if w.strip()],
                   'unreadable': meta.get('unreadable') == 'true',
                   'split': meta.get('split') or ('holdout' if num % 3 == 0 else 'dev')}
            labels[name + '.eml'] = lab
        with open(os.path.join(d, 'labels.json'), 'w') as f:
            json.dump(labels, f, indent=1, ensure_ascii=False)
            f.write('\n')
        print(cat, len(labels))

if __name__ == '__main__':
    main()
