#!/usr/bin/env python3
"""Sanity check for writer C's dirs: every .eml parses, labels <-> files, CRLF only, Date weekday matches."""
import os, sys, json, glob, email, email.utils, datetime
from email import policy
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
bad = 0
for d in sorted(glob.glob(os.path.join(ROOT, 'c-*'))):
    lab = json.load(open(os.path.join(d, 'labels.json')))
    files = {os.path.basename(f) for f in glob.glob(os.path.join(d, '*.eml'))}
    if set(lab) != files: print('label/file mismatch', d, set(lab) ^ files); bad += 1
    for f in sorted(files):
        raw = open(os.path.join(d, f), 'rb').read()
        if b'\n' in raw.replace(b'\r\n', b''): print('bare LF', f); bad += 1
        m = email.message_from_bytes(raw, policy=policy.default)
        ds = m['Date']; dt = email.utils.parsedate_to_datetime(ds)
        if ds[:3] != dt.strftime('%a'): print('weekday', f, ds, dt.strftime('%a')); bad += 1
        for p in m.walk(): p.get_payload(decode=True)
sys.exit(1 if bad else 0)
