#!/usr/bin/env python3
"""Sanity check for corpus B: every .eml parses, uses CRLF only, and labels.json matches the files."""
import email, email.policy, json, os, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CATS = sorted(d for d in os.listdir(os.path.join(os.path.dirname(__file__), 'msgs')))
bad = 0; tot = {}
for cat in CATS:
    d = os.path.join(ROOT, cat); labels = json.load(open(os.path.join(d, 'labels.json')))
    emls = {f for f in os.listdir(d) if f.endswith('.eml')}
    for f in emls ^ set(labels): print('label/file mismatch', cat, f); bad += 1
    for f in sorted(emls):
        raw = open(os.path.join(d, f), 'rb').read()
        if raw.replace(b'\r\n', b'').find(b'\n') >= 0 or raw.replace(b'\r\n', b'').find(b'\r') >= 0:
            print('bare LF/CR', cat, f); bad += 1
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if m.defects or any(p.defects for p in m.walk()): print('defects', cat, f, m.defects); bad += 1
        for p in m.walk():
            if not p.is_multipart(): p.get_content()
        l = labels.get(f)
        if l:
            assert l['split'] in ('dev', 'holdout') and isinstance(l['phi'], bool) and l['where'], (cat, f)
            k = (cat, l['phi'], l['split']); tot[k] = tot.get(k, 0) + 1
for cat in CATS:
    row = {(p, s): tot.get((cat, p, s), 0) for p in (True, False) for s in ('dev', 'holdout')}
    print(f"{cat:12s} pos dev/holdout {row[(True,'dev')]}/{row[(True,'holdout')]}  neg dev/holdout {row[(False,'dev')]}/{row[(False,'holdout')]}")
print('total', sum(tot.values()), 'positives', sum(v for k, v in tot.items() if k[1]), 'holdout', sum(v for k, v in tot.items() if k[2] == 'holdout'))
sys.exit(1 if bad else 0)
