#!/usr/bin/env python3
"""Rebuild writer C's fixtures: converts attachment sources with LibreOffice/zip/iconv/ImageMagick,
then assembles each hand-written message (msgs_*.py) into testdata/phi-real/c-*/NNN-slug.eml + labels.json."""
import hashlib, os, sys, json, subprocess, shutil, glob, importlib.util
from email.message import EmailMessage
from email import policy
from email.utils import make_msgid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
ATT = os.path.join(HERE, 'att')
OUT = os.path.join(HERE, 'build')

def sh(*a, **k):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **k)

def jpeg_pdf(jpg, out):
    """image-only PDF around one JPEG page, like a copier's scan-to-email"""
    data = open(jpg, 'rb').read()
    w, h = map(int, subprocess.run(['identify', '-format', '%w %h', jpg], capture_output=True, text=True, check=True).stdout.split())
    content = b'q 595 0 0 842 0 0 cm /Im0 Do Q'
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>', b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>',
            b'<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n' % (w, h, len(data)) + data + b'\nendstream',
            b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream']
    out_b = b'%PDF-1.4\n'; offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out_b)); out_b += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    x = len(out_b)
    out_b += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1) + b''.join(b'%010d 00000 n \n' % o for o in offs)
    out_b += b'trailer\n<< /Size %d /Root 1 0 R /Producer (KONICA MINOLTA bizhub C368) >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
    open(out, 'wb').write(out_b)

def convert():
    if os.path.isdir(OUT): shutil.rmtree(OUT)
    os.makedirs(OUT)
    # name -> (source, target format)
    for src in sorted(glob.glob(os.path.join(ATT, '*'))):
        base, ext = os.path.splitext(os.path.basename(src))
        if ext in ('.html', '.fodt') and not base.endswith('_docx'):
            sh('soffice', '-env:UserInstallation=file:///tmp/soffice-writer-c', '--headless', '--convert-to', 'pdf', '--outdir', OUT, src)
        elif ext == '.fodt':
            sh('soffice', '-env:UserInstallation=file:///tmp/soffice-writer-c', '--headless', '--convert-to', 'docx', '--outdir', OUT, src)
        elif ext == '.fods':
            sh('soffice', '-env:UserInstallation=file:///tmp/soffice-writer-c', '--headless', '--convert-to', 'xlsx', '--outdir', OUT, src)
        elif ext == '.csv':
            shutil.copy(src, OUT)
        elif ext == '.txt':
            if base.endswith('_u16bom'):
                data = open(src, encoding='utf-8').read().replace('\n', '\r\n')
                open(os.path.join(OUT, base + '.txt'), 'wb').write(b'\xff\xfe' + data.encode('utf-16-le'))
            elif base.endswith('_u16'):
                with open(os.path.join(OUT, base + '.txt'), 'wb') as f:
                    subprocess.run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16LE', src], stdout=f, check=True)
            else:
                shutil.copy(src, OUT)
        elif ext == '.scan':
            # text rendered to an image, noised, wrapped as an image-only PDF (a "scan")
            png = os.path.join(OUT, base + '.png')
            sh('convert', '-size', '1240x1754', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '26',
               '-fill', 'black', '-annotate', '+90+120', open(src).read(), '-rotate', '0.7',
               '-attenuate', '0.4', '+noise', 'Gaussian', '-colorspace', 'Gray', '-resize', '50%', '-quality', '60', png)
            jpg = os.path.join(OUT, base + '.jpg')
            sh('convert', png, '-quality', '55', jpg)
            jpeg_pdf(jpg, os.path.join(OUT, base + '.pdf'))
        elif ext == '.photo':
            # phone photo of a paper form: tilted, grey background, small PNG
            sh('convert', '-size', '900x1100', 'xc:#d8d4cc', '-font', 'DejaVu-Sans', '-pointsize', '22', '-fill', '#222',
               '-annotate', '+60+80', open(src).read(), '-rotate', '-3.5', '-attenuate', '0.25', '+noise', 'Gaussian',
               '-colorspace', 'Gray', '-resize', '60%', '-colors', '4', os.path.join(OUT, base + '.png'))
    # zips
    zsrc = os.path.join(ATT, 'zip')
    if os.path.isdir(zsrc):
        for d in sorted(os.listdir(zsrc)):
            sh('zip', '-q', '-j', '-X', os.path.join(OUT, d + '.zip'), *sorted(glob.glob(os.path.join(zsrc, d, '*'))))

CT = {'.pdf': ('application', 'pdf'), '.docx': ('application', 'vnd.openxmlformats-officedocument.wordprocessingml.document'),
      '.xlsx': ('application', 'vnd.openxmlformats-officedocument.spreadsheetml.sheet'), '.csv': ('text', 'csv'),
      '.txt': ('text', 'plain'), '.zip': ('application', 'zip'), '.png': ('image', 'png')}

def build(m):
    e = EmailMessage(policy=policy.SMTP)
    e['From'] = m['from']; e['To'] = m['to'].replace('; ', ', ')
    if m.get('cc'): e['Cc'] = m['cc'].replace('; ', ', ')
    e['Subject'] = m['subj']; e['Date'] = m['date']
    dom = m['from'].split('@')[-1].strip('>')
    e['Message-ID'] = m.get('msgid') or '<%s.%s@%s>' % (hashlib.sha1((m['cat'] + m['slug']).encode()).hexdigest()[:20].upper(), 'mail', dom)
    for k, v in m.get('hdrs', {}).items(): e[k] = v
    body = m['body'].strip('\n') + '\n'
    e.set_content(body)
    if m.get('html'): e.add_alternative(m['html'], subtype='html')
    for a in m.get('atts', []):
        fname, built = (a, a) if isinstance(a, str) else a
        p = os.path.join(OUT, built)
        data = open(p, 'rb').read()
        mt, st = CT[os.path.splitext(built)[1]]
        if mt == 'text':
            e.add_attachment(data, maintype=mt, subtype=st, filename=fname)
        else:
            e.add_attachment(data, maintype=mt, subtype=st, filename=fname)
    return e.as_bytes(policy=policy.SMTP)

def main():
    if '--no-convert' not in sys.argv: convert()
    msgs = []
    for f in sorted(glob.glob(os.path.join(HERE, 'msgs_*.py'))):
        spec = importlib.util.spec_from_file_location(os.path.basename(f)[:-3], f)
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        msgs += mod.MSGS
    labels = {}
    for m in msgs:
        d = os.path.join(ROOT, m['cat']); os.makedirs(d, exist_ok=True)
        n = len([x for x in labels.get(m['cat'], {})]) + 1
        name = '%03d-%s.eml' % (n, m['slug'])
        open(os.path.join(d, name), 'wb').write(build(m))
        labels.setdefault(m['cat'], {})[name] = {'phi': m['phi'], 'why': m['why'], 'where': m['where'],
                                                  'unreadable': m.get('unreadable', False), 'split': 'fresh'}
    for cat, lab in labels.items():
        with open(os.path.join(ROOT, cat, 'labels.json'), 'w') as f:
            json.dump(lab, f, indent=1); f.write('\n')
        print(cat, len(lab), 'pos', sum(v['phi'] for v in lab.values()))

main()
