#!/usr/bin/env python3
"""Sanity check for writer A's categories: every .eml parses, uses CRLF only, has a label and vice versa."""
import email, email.policy, json, os, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CATS = [f[:-4] for f in os.listdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'msgs')) if f.endswith('.txt')]
bad = 0
tot = {'phi': 0, 'neg': 0, 'dev': 0, 'holdout': 0, 'unreadable': 0}
for cat in sorted(CATS):
    d = os.path.join(ROOT, cat)
    labels = json.load(open(os.path.join(d, 'labels.json')))
    emls = {f for f in os.listdir(d) if f.endswith('.eml')}
    for f in sorted(emls ^ set(labels)):
        print('label/file mismatch:', cat, f); bad += 1
    c = {'phi': 0, 'neg': 0, 'dev': 0, 'holdout': 0}
    for f in sorted(emls & set(labels)):
        raw = open(os.path.join(d, f), 'rb').read()
        if b'\n' in raw.replace(b'\r\n', b'') or b'\r' in raw.replace(b'\r\n', b''):
            print('bare LF/CR:', cat, f); bad += 1
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if m.defects or any(p.defects for p in m.walk()):
            print('defects:', cat, f, m.defects); bad += 1
        for p in m.walk():
            if not p.is_multipart() and p.get_content_type() != 'message/rfc822':
                p.get_payload(decode=True)
        lab = labels[f]
        assert set(lab) >= {'phi', 'why', 'where', 'unreadable', 'split'}, (cat, f)
        c['phi' if lab['phi'] else 'neg'] += 1; c[lab['split']] += 1
        tot['unreadable'] += lab['unreadable']
    for k in c: tot[k] += c[k]
    print('%-12s %3d messages  phi %3d  neg %2d  dev %3d  holdout %2d' % (cat, len(emls), c['phi'], c['neg'], c['dev'], c['holdout']))
print('total        %3d messages  phi %3d  neg %2d  dev %3d  holdout %2d  unreadable %d' % (
    tot['phi'] + tot['neg'], tot['phi'], tot['neg'], tot['dev'], tot['holdout'], tot['unreadable']))
sys.exit(1 if bad else 0)
