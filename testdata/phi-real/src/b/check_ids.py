#!/usr/bin/env python3
"""Check the invented identifiers written into corpus B's sources are valid the way real ones are:
NPIs (Luhn over 80840 + digits), card numbers (Luhn, IIN), SSNs (SSA rules), MBIs (CMS format), NDCs (4-4-2/5-3-2/5-4-1).
Prints every identifier it checked and fails on any invalid one. Known deliberate exceptions are listed."""
import os, re, sys
HERE = os.path.dirname(os.path.abspath(__file__))
def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        x = int(c) * (2 if i % 2 else 1); t += x - 9 if x > 9 else x
    return t % 10 == 0
# public test card and the SSA's never-issued advertising SSN appear on purpose in training negatives
ALLOWED = {'4111111111111111', '123-45-6789'}
bad = 0; seen = 0
for root, _, files in os.walk(HERE):
    for f in files:
        if f.endswith('.py'): continue
        text = open(os.path.join(root, f), encoding='utf-8', errors='replace').read()
        for m in re.finditer(r'NPI[^0-9\n]{0,12}(\d{10})', text):
            seen += 1
            if not luhn('80840' + m.group(1)): print('bad NPI', f, m.group(1)); bad += 1
        for m in re.finditer(r'(?<![\d-])((?:\d[ -]?){14,15}\d)(?![\d-])', text):
            d = re.sub(r'\D', '', m.group(1))
            if d[0] in '3456' and len(d) in (15, 16) and re.match(r'^(4|5[1-5]|2[2-7]|3[47]|6011|65)', d) and (len(d) == 16 or d[:2] in ('34', '37')):
                if ' ' in m.group(1) or '-' in m.group(1) or 'card' in text[max(0, m.start()-80):m.start()].lower():
                    seen += 1
                    if not luhn(d) and d not in ALLOWED: print('bad card', f, m.group(1)); bad += 1
        for m in re.finditer(r'SSN[^0-9\n]{0,6}(\d{3})-(\d{2})-(\d{4})', text):
            seen += 1; a, g, s = m.groups()
            if a in ('000', '666') or a[0] == '9' or g == '00' or s == '0000':
                if '-'.join(m.groups()) not in ALLOWED: print('bad SSN', f, m.groups()); bad += 1
        for m in re.finditer(r'MBI[^A-Z0-9\n]{0,6}([0-9A-Z-]{11,13})', text):
            seen += 1; v = m.group(1).replace('-', '')
            if not re.fullmatch(r'[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y]{2}\d{2}', v):
                print('bad MBI', f, v); bad += 1
        for m in re.finditer(r'NDC[^0-9\n]{0,20}(\d{4,5}-\d{3,4}-\d{1,2})', text):
            seen += 1; p = [len(x) for x in m.group(1).split('-')]
            if p not in ([4, 4, 2], [5, 3, 2], [5, 4, 1], [5, 4, 2]): print('bad NDC', f, m.group(1)); bad += 1
print(f'{seen} identifiers checked, {bad} invalid')
sys.exit(1 if bad else 0)
