#!/usr/bin/env python3
"""Shared MIME assembly for the hand-written phi-real corpora (adapted from writer M's build.py).

A writer's build.py calls configure(here, split, profile) and then main(). Each block in
<here>/msgs/<category>.txt starts with "=== NNN-slug.eml", then "@" lines (labels, client,
attachments), then RFC 5322 headers, a blank line, and the body text. A line "--- html" starts
an HTML alternative. Attachments are converted from hand-written sources in <here>/att/ with the
real tools (LibreOffice headless, iconv, zip, ImageMagick + LibreOffice Draw). Converted files
are cached in <here>/.build/. Nothing here writes message text; it only wraps it.
"""
import email, email.policy, email.utils, hashlib, json, os, re, subprocess, sys, shutil
from email.message import EmailMessage, MIMEPart

HERE = ATT = BUILD = SPLIT = None
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))   # testdata/phi-real
LO_PROFILE = []


def configure(here, split, profile):
    """here: the writer's src dir; split: the labels' split; profile: a private LibreOffice profile name
    (other people on this machine run soffice at the same time)."""
    global HERE, ATT, BUILD, SPLIT, LO_PROFILE
    HERE = os.path.abspath(here)
    ATT = os.path.join(HERE, 'att')
    BUILD = os.path.join(HERE, '.build')
    SPLIT = split
    LO_PROFILE = ['-env:UserInstallation=file:///tmp/lo-profile-' + profile]


MIME = {'pdf': 'application/pdf',
        'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'odt': 'application/vnd.oasis.opendocument.text',
        'csv': 'text/csv', 'txt': 'text/plain', 'zip': 'application/zip',
        'png': 'image/png', 'jpg': 'image/jpeg', 'ics': 'text/calendar', 'rtf': 'application/rtf'}


def parse(path):
    blocks, cur = [], None
    for line in open(path, encoding='utf-8').read().split('\n'):
        if line.startswith('=== '):
            cur = {'name': line[4:].strip(), 'meta': [], 'lines': [], 'inhead': True}
            blocks.append(cur)
        elif cur is not None:
            if cur['inhead'] and line == '' and cur['lines']:
                cur['inhead'] = False
            if cur['inhead'] and line.startswith('@'):
                k, _, v = line[1:].partition(' ')
                cur['meta'].append((k, v.strip()))
            else:
                cur['lines'].append(line)
    return blocks


def soffice(src, target, infilter=None):
    """convert att/src to target format with LibreOffice; cached by content hash"""
    data = open(os.path.join(ATT, src), 'rb').read()
    h = hashlib.sha1(data + target.encode() + (infilter or '').encode()).hexdigest()[:12]
    base = os.path.splitext(os.path.basename(src))[0]
    outdir = os.path.join(BUILD, h)
    out = os.path.join(outdir, base + '.' + target.split(':')[0])
    if not os.path.exists(out):
        os.makedirs(outdir, exist_ok=True)
        cmd = ['soffice'] + LO_PROFILE + ['--headless']
        if infilter or src.endswith('.html'):
            cmd.append('--infilter=' + (infilter or 'HTML (StarWriter)'))
        if target == 'docx':
            target = 'docx:MS Word 2007 XML'
        cmd += ['--convert-to', target, '--outdir', outdir, os.path.join(ATT, src)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return open(out, 'rb').read()


def scan_png(src, photo=False):
    """render a hand-written text page to a noisy, slightly skewed greyscale image (a scan / phone photo)"""
    h = hashlib.sha1(open(os.path.join(ATT, src), 'rb').read() + (b'p' if photo else b's')).hexdigest()[:12]
    out = os.path.join(BUILD, 'scan-' + h + ('.jpg' if photo else '.png'))
    if not os.path.exists(out):
        os.makedirs(BUILD, exist_ok=True)
        cmd = ['/usr/bin/convert', '-size', '1275x1650', 'xc:white', '-font', 'DejaVu-Sans-Mono', '-pointsize', '20',
               '-fill', 'black', '-annotate', '+90+110', open(os.path.join(ATT, src), encoding='utf-8').read().replace('%', '%%'),  # -annotate expands % escapes
               '-rotate', '1.3' if not photo else '-4', '-attenuate', '0.6', '+noise', 'Gaussian',
               '-colorspace', 'Gray', '-blur', '0x0.6']
        if photo:
            cmd += ['-resize', '55%', '-fill', '#c8c0b0', '-colorize', '18%', '-quality', '55']
        else:
            cmd += ['-resize', '70%', '-threshold', '55%', '-type', 'bilevel']
        subprocess.run(cmd + [out], check=True)
    return open(out, 'rb').read()


def skin_photo(src):
    """a close-up phone photo with no text in it (a rash, a wound): skin-toned noise with blotches.
    att/src holds ImageMagick -draw primitives, one per line."""
    spec = open(os.path.join(ATT, src), encoding='utf-8').read()
    h = hashlib.sha1(spec.encode()).hexdigest()[:12]
    out = os.path.join(BUILD, 'skin-' + h + '.jpg')
    if not os.path.exists(out):
        os.makedirs(BUILD, exist_ok=True)
        cmd = ['/usr/bin/convert', '-seed', str(int(h[:6], 16)), '-size', '960x1280', 'plasma:#e0b096-#c48a6c', '-modulate', '100,25',
               '-blur', '0x6', '-fill', '#b5524a']
        for prim in spec.strip().split('\n'):
            cmd += ['-draw', prim.strip()]
        cmd += ['-blur', '0x4', '-attenuate', '0.4', '+noise', 'Gaussian', '-quality', '62']
        subprocess.run(cmd + [out], check=True)
    return open(out, 'rb').read()


def scan_pdf(src):
    png = scan_png(src)
    h = hashlib.sha1(png).hexdigest()[:12]
    d = os.path.join(BUILD, 'scanpdf-' + h)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, 'scan.png')
    open(p, 'wb').write(png)
    out = os.path.join(d, 'scan.pdf')
    if not os.path.exists(out):
        subprocess.run(['soffice'] + LO_PROFILE + ['--headless', '--convert-to', 'pdf:draw_pdf_Export', '--outdir', d, p], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return open(out, 'rb').read()


def utf16(src, bom):
    txt = open(os.path.join(ATT, src), 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    r = subprocess.run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16LE'], input=txt, check=True, stdout=subprocess.PIPE)
    return (b'\xff\xfe' if bom else b'') + r.stdout


def produce(kind, src):
    """returns (bytes, maintype, subtype)"""
    if kind in ('pdf', 'docx', 'xlsx', 'odt', 'rtf'):
        data = soffice(src, kind)
        mt = MIME[kind]
    elif kind == 'xlsx-csv':
        data = soffice(src, 'xlsx', 'CSV:44,34,76,1'); mt = MIME['xlsx']   # 76: the CSV is UTF-8 (Hangul, Vietnamese)
    elif kind == 'scanpdf':
        data = scan_pdf(src); mt = MIME['pdf']
    elif kind == 'photo':
        data = scan_png(src, photo=True); mt = 'image/jpeg'
    elif kind == 'skinphoto':
        data = skin_photo(src); mt = 'image/jpeg'
    elif kind == 'utf16bom':
        data = utf16(src, True); mt = 'text/plain'
    elif kind == 'utf16':
        data = utf16(src, False); mt = 'text/plain'
    elif kind in ('csv', 'txt', 'ics', 'raw'):
        data = open(os.path.join(ATT, src), 'rb').read()
        if kind == 'ics':
            data = data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
        mt = MIME.get(kind, 'application/octet-stream')
    else:
        raise SystemExit('unknown attachment kind ' + kind)
    return data, mt


def make_zip(name, members):
    h = hashlib.sha1(repr(members).encode() + b''.join(open(os.path.join(ATT, s), 'rb').read() for _, s, _ in members)).hexdigest()[:12]
    d = os.path.join(BUILD, 'zip-' + h)
    out = os.path.join(d, name)
    if not os.path.exists(out):
        os.makedirs(d, exist_ok=True)
        for kind, src, fn in members:
            open(os.path.join(d, fn), 'wb').write(produce(kind, src)[0])
        subprocess.run(['zip', '-q', '-X', name] + [fn for _, _, fn in members], cwd=d, check=True)
        os.utime(out, (1764633600, 1764633600))
    return open(out, 'rb').read()


def parse_headers_body(lines):
    text = '\n'.join(lines)
    head, _, body = text.partition('\n\n')
    hdrs = []
    for l in head.split('\n'):
        if l[:1] in (' ', '\t') and hdrs:
            hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + ' ' + l.strip())
        elif l.strip():
            k, _, v = l.partition(':')
            hdrs.append((k.strip(), v.strip()))
    html = None
    if body.startswith('--- html\n'):
        body, html = '', body[len('--- html\n'):]
    elif '\n--- html\n' in body:
        body, html = body.split('\n--- html\n', 1)
    return hdrs, body.rstrip('\n') + '\n', html


def inner_message(src):
    """a nested message/rfc822 from a hand-written .eml-style text in att/"""
    hdrs, body, html = parse_headers_body(open(os.path.join(ATT, src), encoding='utf-8').read().split('\n'))
    m = EmailMessage(policy=email.policy.SMTP)
    for k, v in hdrs:
        m[k] = v
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype='html')
    return m


def client_headers(msg, client, frm, date, n):
    dom = email.utils.parseaddr(frm)[1].split('@')[-1] or 'example.org'
    seed = hashlib.sha1((n + frm).encode()).hexdigest()
    if client == 'outlook':
        msg['X-MS-Has-Attach'] = 'yes' if msg.is_multipart() and any(p.get_filename() for p in msg.walk()) else ''
        msg['X-MS-TNEF-Correlator'] = ''
        msg['Thread-Index'] = 'AdtE' + seed[:24].upper()
        msg['X-MS-Exchange-Organization-SCL'] = '1'
        msg['X-MS-Exchange-Organization-AuthAs'] = 'Internal'
    elif client == 'iphone':
        msg['X-Mailer'] = 'iPhone Mail (21G93)'
    elif client == 'thunderbird':
        msg['User-Agent'] = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0'
    elif client == 'gmail':
        pass
    elif client == 'system':
        if 'Auto-Submitted' not in msg:
            msg['Auto-Submitted'] = 'auto-generated'
    msg['Received'] = ('from mail.%s (mail.%s [192.0.2.%d]) by mx1.sealgate.example with ESMTPS id %s; %s'
                       % (dom, dom, int(seed[:2], 16) % 200 + 10, seed[:10], date))
    if not msg['Message-ID']:
        msg['Message-ID'] = '<%s.%s@%s>' % (seed[:16], seed[16:24], dom)


def build_block(b):
    meta = b['meta']
    hdrs, body, html = parse_headers_body(b['lines'])
    m = dict((k, v) for k, v in meta if k != 'att')
    msg = EmailMessage(policy=email.policy.SMTP)
    frm = date = ''
    for k, v in hdrs:
        if k.lower() == 'from':
            frm = v
        if k.lower() == 'date':
            date = v
    atts = [v for k, v in meta if k == 'att']
    report = m.get('ctype') == 'report'
    if html is not None and not body.strip():
        msg.set_content(html, subtype='html')          # HTML-only mail, no text/plain part
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype='html')
    for a in atts:
        # kind src [filename]   |   zip Name.zip = kind:src:fn | kind:src:fn   | rfc822 src | dsn src
        if a.startswith('zip '):
            name, _, rest = a[4:].partition('=')
            members = [tuple(x.strip().split(':', 2)) for x in rest.split('|')]
            msg.add_attachment(make_zip(name.strip(), members), maintype='application', subtype='zip',
                               filename=name.strip())
            continue
        parts = a.split(None, 2)
        kind, src = parts[0], parts[1]
        fn = parts[2] if len(parts) > 2 else None
        if kind == 'rfc822':
            inner = inner_message(src)
            if msg.get_content_type() != 'multipart/mixed' and not report:
                msg.make_mixed()
            if report and msg.get_content_type() != 'multipart/report':
                msg.make_mixed()
                msg.set_param('report-type', 'delivery-status')
                msg.replace_header('Content-Type', msg['Content-Type'].replace('multipart/mixed', 'multipart/report'))
            p = MIMEPart(policy=email.policy.SMTP)
            p.set_content(inner)
            msg.attach(p)
            continue
        if kind == 'dsn':
            txt = open(os.path.join(ATT, src), encoding='utf-8').read()
            p = email.message_from_string('Content-Type: message/delivery-status\n\n' + txt,
                                          policy=email.policy.SMTP)
            if msg.get_content_type() == 'text/plain':
                msg.make_mixed()
                ct = msg['Content-Type'].replace('multipart/mixed', 'multipart/report')
                msg.replace_header('Content-Type', ct)
                msg.set_param('report-type', 'delivery-status')
            msg.attach(p)
            continue
        if kind == 'inline-ics':
            data, mt = produce('ics', src)
            method = re.search(rb'METHOD:(\w+)', data)
            msg.add_alternative(data.decode('utf-8'), subtype='calendar',
                                params={'method': method.group(1).decode() if method else 'REQUEST'})
            continue
        data, mt = produce(kind, src)
        maintype, subtype = mt.split('/')
        fn = fn or os.path.basename(src)
        if maintype == 'text' and kind not in ('utf16', 'utf16bom'):
            try:
                s = data.decode('utf-8')
                msg.add_attachment(s, subtype=subtype, filename=fn,
                                   **({'params': {'method': 'REQUEST'}} if subtype == 'calendar' else {}))
                continue
            except UnicodeDecodeError:
                pass
        if kind in ('utf16', 'utf16bom'):
            msg.add_attachment(data, maintype='text', subtype='plain', filename=fn)
            msg.get_payload()[-1].set_param('charset', 'utf-16le' if kind == 'utf16' else 'utf-16')
            continue
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fn)
    for k, v in hdrs:
        msg[k] = v
    if 'MIME-Version' not in msg:
        msg['MIME-Version'] = '1.0'
    client_headers(msg, m.get('client', 'outlook'), frm, date, b['name'])
    # put the transport and content headers in a natural order: Received first
    items = msg._headers
    mimeh = ('mime-version', 'content-type', 'content-transfer-encoding')
    rec = [h for h in items if h[0].lower() == 'received']
    mid = [h for h in items if h[0].lower() not in mimeh and h[0].lower() != 'received']
    mim = sorted([h for h in items if h[0].lower() in mimeh], key=lambda h: mimeh.index(h[0].lower()))
    msg._headers = rec + mid + mim
    for i, part in enumerate(msg.walk()):
        if part.get_content_maintype() == 'multipart':
            part.set_boundary('----=_Part_%d_%s' % (i, hashlib.sha1((b['name'] + str(i)).encode()).hexdigest()[:20]))
    label = {'phi': m['phi'] == 'true', 'why': m['why'],
             'where': [w.strip() for w in m['where'].split(',') if w.strip()],
             'unreadable': m.get('unreadable', 'false') == 'true', 'split': SPLIT}
    return msg, label


def main(cats):
    for cat in cats:
        blocks = parse(os.path.join(HERE, 'msgs', cat + '.txt'))
        d = os.path.join(ROOT, cat)
        os.makedirs(d, exist_ok=True)
        labels = {}
        for b in blocks:
            msg, label = build_block(b)
            raw = msg.as_bytes(policy=email.policy.SMTP)
            open(os.path.join(d, b['name']), 'wb').write(raw)
            labels[b['name']] = label
        # remove stale files
        for f in os.listdir(d):
            if f.endswith('.eml') and f not in labels:
                os.remove(os.path.join(d, f))
        with open(os.path.join(d, 'labels.json'), 'w') as f:
            json.dump(labels, f, indent=1, ensure_ascii=False)
            f.write('\n')
        print(cat, len(labels), 'phi', sum(l['phi'] for l in labels.values()))



def run(argv):
    allc = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(HERE, 'msgs')) if f.endswith('.txt'))
    main(argv or allc)
