#!/usr/bin/env python3
"""Sanity check for writer E's dirs: parse, labels <-> files, CRLF only, part listing."""
import json, os, re, sys
from email import policy
from email.parser import BytesParser
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
bad = 0
for cat in sorted(d for d in os.listdir(ROOT) if d.startswith('e-')):
    d = os.path.join(ROOT, cat)
    labels = json.load(open(os.path.join(d, 'labels.json')))
    files = sorted(f for f in os.listdir(d) if f.endswith('.eml'))
    if set(files) != set(labels):
        print(cat, 'label/file mismatch', set(files) ^ set(labels)); bad += 1
    for f in files:
        data = open(os.path.join(d, f), 'rb').read()
        if re.search(rb'(?<!\r)\n', data) or re.search(rb'\r(?!\n)', data):
            print(cat, f, 'non-CRLF line ending'); bad += 1
        m = BytesParser(policy=policy.default).parsebytes(data)
        if m.defects:
            print(cat, f, 'defects', m.defects); bad += 1
        if '-v' in sys.argv:
            parts = [p.get_content_type() + ('(' + p.get_filename() + ')' if p.get_filename() else '') for p in m.walk() if not p.is_multipart()]
            print('%-10s %-34s %6d %s' % (cat, f, len(data), ' '.join(parts)))
print('problems:', bad)
sys.exit(1 if bad else 0)
