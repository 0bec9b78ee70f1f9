#!/usr/bin/env python3
"""sanity check for writer G's dirs: every .eml parses, CRLF only, labels <-> files, counts"""
import email, email.policy, glob, json, os, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
bad = 0
tot = {}
for d in sorted(glob.glob(os.path.join(ROOT, 'g-*'))):
    labels = json.load(open(os.path.join(d, 'labels.json')))
    emls = {os.path.basename(p) for p in glob.glob(os.path.join(d, '*.eml'))}
    if set(labels) != emls:
        print('MISMATCH', d, set(labels) ^ emls); bad += 1
    for n in sorted(emls):
        raw = open(os.path.join(d, n), 'rb').read()
        if b'\n' in raw.replace(b'\r\n', b''):
            print('bare LF', n); bad += 1
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if m.defects or not m['Subject'] and not m['From']:
            print('defects', n, m.defects); bad += 1
        for p in m.walk():
            if p.defects:
                print('part defects', n, p.get_content_type(), p.defects); bad += 1
    pos = sum(v['phi'] for v in labels.values())
    print('%-16s %3d msgs  %3d phi  %3d neg  %d unreadable' % (os.path.basename(d), len(labels), pos,
          len(labels) - pos, sum(v['unreadable'] for v in labels.values())))
sys.exit(1 if bad else 0)
