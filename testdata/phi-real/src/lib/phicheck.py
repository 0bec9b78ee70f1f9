#!/usr/bin/env python3
"""Shared sanity checks for the hand-written phi-real corpora (adapted from writer M's check.py):
every .eml parses without defects, CRLF only, labels <-> files, split, counts; and the identifiers
typed into the sources are valid the way real ones are (NPI Luhn over 80840, card IIN + Luhn,
SSA SSN rules, MBI character classes, NDC segment shapes).

  phicheck.run(here, prefix, split)  ->  exit status
"""
import csv, email, email.policy, glob, json, os, re, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        x = int(c)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return t % 10 == 0


def ssn_ok(s):
    a, g, n = s.split('-')
    return a not in ('000', '666') and a[0] != '9' and g != '00' and n != '0000'


A = '[AC-HJKMNP-RT-Y]'
MBI = re.compile(r'\b[1-9]%s[AC-HJKMNP-RT-Y0-9]\d%s[AC-HJKMNP-RT-Y0-9]\d%s%s\d\d\b' % (A, A, A, A))


def run(here, prefix, split):
    bad = 0
    for d in sorted(glob.glob(os.path.join(ROOT, prefix + '*'))):
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
            if labels[n]['split'] != split:
                print('split', n); bad += 1
        pos = sum(v['phi'] for v in labels.values())
        print('%-20s %3d msgs  %3d phi  %3d neg  %d unreadable' % (os.path.basename(d), len(labels), pos,
              len(labels) - pos, sum(v['unreadable'] for v in labels.values())))

    # identifiers, in the hand-written sources
    src = ''
    for p in glob.glob(os.path.join(here, 'msgs', '*.txt')) + glob.glob(os.path.join(here, 'att', '*', '*')):
        src += open(p, encoding='utf-8').read() + '\n'
    for npi in re.findall(r'NPI[ #:]*(\d{10})\b', src):
        if not luhn('80840' + npi):
            print('bad NPI', npi); bad += 1
    for card in re.findall(r'\b(\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4})\b', src):
        c = re.sub(r'\D', '', card)
        iin = c[0] == '4' or 51 <= int(c[:2]) <= 55 or 2221 <= int(c[:4]) <= 2720 or c[:4] == '6011'
        if iin and not luhn(c):
            print('bad card', card); bad += 1
    for s in re.findall(r'(?:SSN|SS#|Social Security(?: No\.?| number)?)[:# ]*(\d{3}-\d{2}-\d{4})|~(\d{3}-\d{2}-\d{4})\^', src):
        s = s[0] or s[1]
        if not ssn_ok(s):
            print('bad SSN', s); bad += 1
    for label, v in re.findall(r'(MBI|Medicare(?: number is| ID| #)?)[ :#]+([0-9A-Z]{4}-?[0-9A-Z]{3}-?[0-9A-Z]{4})\b', src):
        v = v.replace('-', '')
        if not MBI.fullmatch(v):
            print('bad MBI', v); bad += 1
    for ndc in re.findall(r'NDC (\d+-\d+-\d+)', src):
        shape = tuple(len(x) for x in ndc.split('-'))
        if shape not in ((4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)):
            print('bad NDC', ndc); bad += 1
    # SSNs in CSV sources sit under a column header, not after a label word
    for p in glob.glob(os.path.join(here, 'att', '*', '*.csv')):
        rows = list(csv.reader(open(p, encoding='utf-8')))
        cols = [i for i, h in enumerate(rows[0] if rows else []) if h.strip().upper() in ('SSN', 'SS#', 'SOCIAL SECURITY')]
        for r in rows[1:]:
            for i in cols:
                if i < len(r) and re.fullmatch(r'\d{3}-\d{2}-\d{4}', r[i].strip()) and not ssn_ok(r[i].strip()):
                    print('bad SSN', r[i], os.path.basename(p)); bad += 1
    return 1 if bad else 0
