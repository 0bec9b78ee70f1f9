#!/usr/bin/env python3
"""Rebuild corpus B (testdata/phi-real/<category>/) from the hand-written sources here.

Each message is one hand-written file msgs/<category>/NNN-slug.txt: an RFC 5322 header block written
as the sending client would write it, a blank line, and the body text exactly as composed (quoted
replies, signatures and forwarded chains are part of the text). Lines starting with X-Label- carry the
label (they go to labels.json, not into the message); lines starting with X-Build- tell this script what
to assemble around the text:

  X-Build-HTML: file.html              text/html alternative (multipart/alternative)
  X-Build-HTMLOnly: file.html          body is text/html only (the plain text block is ignored)
  X-Build-Calendar: file.ics           text/calendar alternative (method taken from the file)
  X-Build-Attach: src | how | name     attachment; how = raw | pdf | docx | xlsx | odt | csv (LibreOffice)
                                       | utf16bom | utf16 (iconv -t UTF-16LE) | scanpdf | png | jpg (ImageMagick
                                       + ghostscript: image only) | zip:a,b,c (zip of built attachments)
  X-Build-Part: src | how | name       built like an attachment but only for use inside a later zip:
  X-Build-CTE: base64 | quoted-printable | 8bit   body transfer encoding (default: let python choose)
  X-Build-Boundary: string             fixed MIME boundary (keeps rebuilds diffable)

Needs: python3, soffice (LibreOffice), iconv, zip, ImageMagick convert, gs. Run from anywhere:
  python3 testdata/phi-real/src/b/build.py
"""
import email.policy, hashlib, json, os, re, shutil, subprocess, sys, tempfile
from email.message import EmailMessage
from email import message_from_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(os.path.join(HERE, '..', '..'))   # testdata/phi-real
ATT = os.path.join(HERE, 'att')
WORK = tempfile.mkdtemp(prefix='corpusb-')

CT = {'pdf': 'application/pdf', 'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'odt': 'application/vnd.oasis.opendocument.text',
      'csv': 'text/csv', 'txt': 'text/plain', 'zip': 'application/zip', 'png': 'image/png', 'jpg': 'image/jpeg',
      'html': 'text/html', 'ics': 'text/calendar', 'xml': 'application/xml', 'hl7': 'text/plain', 'log': 'text/plain',
      'doc': 'application/msword', 'xls': 'application/vnd.ms-excel', 'json': 'application/json'}

_cache = {}

def soffice(src, fmt):
    key = (src, fmt)
    if key in _cache: return _cache[key]
    d = os.path.join(WORK, 'lo-' + fmt); os.makedirs(d, exist_ok=True)
    filt = {'csv': 'csv:Text - txt - csv (StarCalc):44,34,76,1', 'xlsx': 'xlsx:Calc MS Excel 2007 XML',
            'docx': 'docx:MS Word 2007 XML'}.get(fmt, fmt)
    subprocess.run(['soffice', '--headless', '--convert-to', filt, '--outdir', d, src],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = os.path.join(d, os.path.splitext(os.path.basename(src))[0] + '.' + fmt)
    data = open(out, 'rb').read(); _cache[key] = data; return data

def image_of_text(src, kind):
    """A 'scan' or 'photo' of a text: rendered by ImageMagick, slightly rotated and noisy; no text layer."""
    text = open(src, encoding='utf-8').read()
    jpg = os.path.join(WORK, os.path.basename(src) + '.jpg')
    if kind in ('png', 'jpg'):
        out = jpg[:-4] + '.' + kind
        look = ['-attenuate', '0.4', '+noise', 'Gaussian', '-quality', '50'] if kind == 'jpg' else ['-colors', '16']
        subprocess.run(['convert', '-size', '900x700', 'xc:#f4f1ea', '-font', 'DejaVu-Sans', '-pointsize', '17',
                        '-fill', '#222', '-annotate', '+40+50', text, '-rotate', '-2.5', '-background', '#9a958c',
                        '-flatten'] + look + ['-resize', '85%', out], check=True)
        return open(out, 'rb').read()
    subprocess.run(['convert', '-size', '1275x1650', 'xc:white', '-font', 'DejaVu-Sans-Mono', '-pointsize', '17',
                    '-fill', 'black', '-annotate', '+90+110', text, '-rotate', '0.8', '-attenuate', '0.25',
                    '+noise', 'Gaussian', '-colorspace', 'Gray', '-quality', '45', jpg], check=True)
    pdf = jpg[:-4] + '.pdf'
    vj = [p for p in subprocess.run(['gs', '-q', '-dNODISPLAY', '-dNOSAFER', '-c', '(viewjpeg.ps) findlibfile {pop ==} {pop} ifelse quit'],
                                    capture_output=True, text=True).stdout.split() if p.endswith('.ps')]
    vj = vj[0].strip('()') if vj else '/usr/share/ghostscript/10.00.0/lib/viewjpeg.ps'
    subprocess.run(['gs', '-q', '-dNOSAFER', '-sDEVICE=pdfwrite', '-r150', '-o', pdf, vj, '-c',
                    f'({jpg}) << /PageSize 2 index viewJPEGgetsize 2 array astore >> setpagedevice viewJPEG'], check=True)
    return open(pdf, 'rb').read()

def build_attachment(spec, built):
    parts = [p.strip() for p in spec.split('|')]
    src, how, name = parts[0], parts[1], parts[2]
    ctype = parts[3] if len(parts) > 3 else CT.get(name.rsplit('.', 1)[-1].lower(), 'application/octet-stream')
    path = os.path.join(ATT, src)
    if how == 'raw': data = open(path, 'rb').read()
    elif how in ('pdf', 'docx', 'xlsx', 'odt', 'csv'): data = soffice(path, how)
    elif how in ('utf16bom', 'utf16'):
        data = subprocess.run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16LE', path], check=True, capture_output=True).stdout
        data = data.replace(b'\n\x00', b'\r\x00\n\x00') if b'\r\x00' not in data else data
        if how == 'utf16bom': data = b'\xff\xfe' + data
    elif how in ('scanpdf', 'png', 'jpg'): data = image_of_text(path, how)
    elif how.startswith('zip:'):
        zd = tempfile.mkdtemp(dir=WORK)
        for member in how[4:].split(','):
            open(os.path.join(zd, member), 'wb').write(built[member])
        zp = os.path.join(WORK, 'z-' + name)
        if os.path.exists(zp): os.remove(zp)
        subprocess.run(['zip', '-q', '-X', '-j', zp] + [os.path.join(zd, m) for m in how[4:].split(',')], check=True)
        data = open(zp, 'rb').read()
    else: sys.exit(f'unknown build kind {how!r}')
    built[name] = data
    return name, ctype, data

def parse_source(path):
    raw = open(path, encoding='utf-8').read().replace('\r\n', '\n')
    head, _, body = raw.partition('\n\n')
    headers = []
    for line in head.split('\n'):
        if line[:1] in (' ', '\t') and headers: headers[-1][1] += '\n' + line
        else:
            k, _, v = line.partition(':'); headers.append([k.strip(), v.strip()])
    return headers, body

def build_message(path):
    headers, body = parse_source(path)
    label, build, keep = {}, [], []
    for k, v in headers:
        if k.lower().startswith('x-label-'): label[k[8:].lower()] = v
        elif k.lower().startswith('x-build-'): build.append((k[8:].lower(), v))
        else: keep.append((k, v))
    opts = dict((k, v) for k, v in build if k in ('cte', 'boundary'))
    msg = EmailMessage(policy=email.policy.SMTP)
    for k, v in keep:
        msg[k] = re.sub(r'\n[ \t]+', ' ', v)
    htmlonly = [v for k, v in build if k == 'htmlonly']
    if htmlonly:
        msg.set_content(open(os.path.join(ATT, htmlonly[0]), encoding='utf-8').read(), subtype='html', cte=opts.get('cte'))
    else:
        msg.set_content(body, cte=opts.get('cte'))
    for k, v in build:
        if k == 'html':
            msg.add_alternative(open(os.path.join(ATT, v), encoding='utf-8').read(), subtype='html')
        elif k == 'calendar':
            ics = open(os.path.join(ATT, v), encoding='utf-8').read().replace('\r\n', '\n').replace('\n', '\r\n')
            method = (re.search(r'^METHOD:(\w+)', ics, re.M) or re.search('(REQUEST)', 'REQUEST')).group(1)
            msg.add_alternative(ics, subtype='calendar', params={'method': method})
    built = {}
    for k, v in build:
        if k == 'part':            # built for a later zip: only, not attached itself
            build_attachment(v, built)
        elif k == 'attach':
            name, ctype, data = build_attachment(v, built)
            mt, st = ctype.split('/', 1)
            if mt == 'text':
                msg.add_attachment(data, maintype=mt, subtype=st, filename=name)
            else:
                msg.add_attachment(data, maintype=mt, subtype=st, filename=name)
    # fixed boundaries so that a rebuild only differs where the converters' output differs
    seed = hashlib.sha1(os.path.basename(path).encode()).hexdigest()
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(opts['boundary'] + (f'_{i}' if i else '') if 'boundary' in opts else f'----=_NextPart_{i:03d}_{seed[:8]}.{seed[8:24]}')
    data = msg.as_bytes(policy=email.policy.SMTP)
    return data, label

def main():
    cats = sys.argv[1:] or sorted(d for d in os.listdir(os.path.join(HERE, 'msgs')) if os.path.isdir(os.path.join(HERE, 'msgs', d)))
    for cat in cats:
        sd = os.path.join(HERE, 'msgs', cat); od = os.path.join(OUT, cat); os.makedirs(od, exist_ok=True)
        labels = {}
        for f in sorted(os.listdir(sd)):
            if not f.endswith('.txt'): continue
            data, label = build_message(os.path.join(sd, f))
            name = f[:-4] + '.eml'
            open(os.path.join(od, name), 'wb').write(data)
            labels[name] = {'phi': label['phi'].lower() == 'true', 'why': label['why'],
                            'where': [w.strip() for w in label['where'].split(',') if w.strip()],
                            'unreadable': label.get('unreadable', 'false').lower() == 'true',
                            'split': label['split']}
        for old in os.listdir(od):
            if old.endswith('.eml') and old not in labels: os.remove(os.path.join(od, old))
        with open(os.path.join(od, 'labels.json'), 'w') as fh:
            json.dump(labels, fh, indent=1, sort_keys=True); fh.write('\n')
        print(f'{cat}: {len(labels)} messages')
    shutil.rmtree(WORK, ignore_errors=True)

if __name__ == '__main__':
    main()
