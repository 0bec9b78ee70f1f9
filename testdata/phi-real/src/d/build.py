#!/usr/bin/env python3
"""Rebuild writer D's messages: testdata/phi-real/d-*/NNN-slug.eml + labels.json.

Each source msgs/<cat>/NNN-slug.msg is a hand-written message: RFC 5322 style headers,
a blank line, the plain body; optionally a line '--HTML--' followed by an HTML body.
Pseudo-headers (stripped from output):
  X-Label: phi=true|false; where=a,b; unreadable=false; why=free text
  X-Attach: <out-name> <= <source in att/> <method>
an empty plain body before '--HTML--' makes an HTML-only message.
methods: pdf docx xlsx odt csv (LibreOffice convert), copy, utf16bom, utf16 (iconv UTF-16LE),
         scanpdf (ImageMagick renders text to a JPEG scan, LibreOffice wraps it as image-only PDF), photo (JPEG phone photo of a card),
         zip:<a>,<b> (zip of other built attachments, names after zip:)
"""
import email.policy, email.utils, hashlib, json, os, re, shutil, subprocess, sys
from email.message import EmailMessage
from email.parser import Parser
import mimetypes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))  # testdata/phi-real
BUILD = '/tmp/d-build'
os.makedirs(BUILD, exist_ok=True)

def run(*a, **k):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **k)

def make_att(out, src, method):
    dst = os.path.join(BUILD, out)
    s = os.path.join(HERE, 'att', src) if src != '-' else None
    if method in ('pdf', 'docx', 'xlsx', 'odt', 'csv'):
        tmp = os.path.join(BUILD, 'conv')
        os.makedirs(tmp, exist_ok=True)
        run('soffice', '--headless', '--convert-to', method, '--outdir', tmp, s)
        base = os.path.splitext(os.path.basename(s))[0] + '.' + method
        shutil.move(os.path.join(tmp, base), dst)
    elif method == 'copy':
        shutil.copy(s, dst)
    elif method in ('utf16bom', 'utf16'):
        data = open(s, encoding='utf-8').read().replace('\r\n', '\n').replace('\n', '\r\n')
        raw = data.encode('utf-16-le')
        if method == 'utf16bom':
            raw = b'\xff\xfe' + raw
        open(dst, 'wb').write(raw)
    elif method == 'photo':
        # phone photo of a card: small JPEG, tilted, tinted, noisy
        run('convert', '-size', '1000x620', 'xc:#e8eef5', '-font', 'DejaVu-Sans-Bold', '-pointsize', '30',
            '-fill', '#1b2a4a', '-annotate', '+40+70', open(s, encoding='utf-8').read(),
            '-rotate', '-3.5', '-attenuate', '0.6', '+noise', 'Gaussian', '-blur', '0x1.2',
            '-resize', '900x', '-quality', '55', dst)
    elif method in ('scanpdf', 'png'):
        # ImageMagick renders the text as a slightly skewed, noisy grey "scan";
        # LibreOffice wraps the JPEG into an image-only PDF (IM's PDF coder is disabled here).
        img = dst if method == 'png' else os.path.join(BUILD, os.path.splitext(out)[0] + '.jpg')
        run('convert', '-size', '1275x1650', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '22',
            '-fill', '#222222', '-annotate', '+90+110', open(s, encoding='utf-8').read(),
            '-rotate', '0.7', '-attenuate', '0.35', '+noise', 'Gaussian', '-colorspace', 'Gray',
            '-depth', '8', '-quality', '50', img)
        if method == 'scanpdf':
            tmp = os.path.join(BUILD, 'conv')
            os.makedirs(tmp, exist_ok=True)
            run('soffice', '--headless', '--convert-to', 'pdf', '--outdir', tmp, img)
            shutil.move(os.path.join(tmp, os.path.splitext(os.path.basename(img))[0] + '.pdf'), dst)
            os.remove(img)
    elif method.startswith('zip:'):
        members = method[4:].split(',')
        if os.path.exists(dst):
            os.remove(dst)
        run('zip', '-q', '-j', '-X', dst, *[os.path.join(BUILD, m) for m in members])
    else:
        raise SystemExit('unknown method ' + method)
    return dst

CTYPES = {'.pdf': 'application/pdf', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
          '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '.csv': 'text/csv',
          '.txt': 'text/plain', '.zip': 'application/zip', '.png': 'image/png', '.ics': 'text/calendar',
          '.odt': 'application/vnd.oasis.opendocument.text', '.jpg': 'image/jpeg'}

def build_one(path):
    text = open(path, encoding='utf-8').read()
    head, _, body = text.partition('\n\n')
    html = None
    if '\n--HTML--\n' in '\n' + body:
        body, html = ('\n' + body).split('\n--HTML--\n', 1)
        body = body[1:]
    msg = EmailMessage(policy=email.policy.SMTP)
    label, atts = {}, []
    for line in re.split(r'\n(?![ \t])', head.strip()):
        k, _, v = line.partition(':')
        v = v.strip()
        if k == 'X-Label':
            for part in v.split(';'):
                kk, _, vv = part.strip().partition('=')
                label[kk] = vv
        elif k == 'X-Attach':
            out, _, rest = v.partition('<=')
            src, method = rest.split()
            atts.append((out.strip(), src, method))
        else:
            msg[k] = re.sub(r'\s*\n\s+', ' ', v)
    if 'Message-ID' not in msg:
        h = hashlib.sha1(path.encode()).hexdigest()[:16]
        dom = email.utils.parseaddr(msg['From'])[1].split('@')[-1] or 'example.org'
        msg['Message-ID'] = '<%s@%s>' % (h, dom)
    if 'MIME-Version' not in msg:
        msg['MIME-Version'] = '1.0'
    if html and not body.strip():   # HTML-only message
        msg.set_content(html, subtype='html', cte='quoted-printable')
    else:
        msg.set_content(body.rstrip('\n') + '\n', cte='quoted-printable')
    if html and body.strip():
        msg.add_alternative(html, subtype='html', cte='quoted-printable')
    for out, src, method in atts:
        dst = make_att(out, src, method)
        ext = os.path.splitext(out)[1].lower()
        ct = CTYPES.get(ext, 'application/octet-stream')
        mt, st = ct.split('/')
        data = open(dst, 'rb').read()
        if ext == '.eml':   # Outlook "forward as attachment": message/rfc822
            inner = email.message_from_bytes(data.replace(b'\r\n', b'\n'), policy=email.policy.default)
            msg.add_attachment(inner, filename=out)
        elif mt == 'text' and ext == '.ics':
            msg.add_attachment(data.decode('utf-8'), subtype='calendar', filename=out, params={'method': 'REQUEST'})
        elif mt == 'text' and method not in ('utf16', 'utf16bom'):
            msg.add_attachment(data.decode('utf-8'), subtype=st, filename=out)
        else:
            msg.add_attachment(data, maintype=mt, subtype=st, filename=out)
    # stable MIME boundaries so a rebuild does not churn every file
    for i, part in enumerate(p for p in msg.walk() if p.get_content_maintype() == 'multipart'):
        part.set_boundary('=_d_%s_%d' % (hashlib.sha1(path.encode()).hexdigest()[:12], i))
    phi = label.get('phi') == 'true'
    lab = {'phi': phi, 'why': label.get('why', ''),
           'where': [w for w in label.get('where', '').split(',') if w],
           'unreadable': label.get('unreadable', 'false') == 'true', 'split': 'fresh'}
    return msg, lab

def main():
    for cat in sorted(os.listdir(os.path.join(HERE, 'msgs'))):
        outdir = os.path.join(ROOT, cat)
        os.makedirs(outdir, exist_ok=True)
        labels = {}
        for f in sorted(os.listdir(os.path.join(HERE, 'msgs', cat))):
            if not f.endswith('.msg'):
                continue
            msg, lab = build_one(os.path.join(HERE, 'msgs', cat, f))
            name = f[:-4] + '.eml'
            raw = msg.as_bytes(policy=email.policy.SMTP)
            open(os.path.join(outdir, name), 'wb').write(raw)
            labels[name] = lab
        with open(os.path.join(outdir, 'labels.json'), 'w') as fh:
            json.dump(labels, fh, indent=1, sort_keys=True)
            fh.write('\n')
        print(cat, len(labels))

if __name__ == '__main__':
    main()
