#!/usr/bin/env python3
"""Writer BG's checks over bg-*: every .eml parses, CRLF only, labels <-> files, split fresh56, counts,
and the identifiers in the sources (shared checks in ../lib/phicheck.py)."""
import os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.dont_write_bytecode = True
import phicheck  # noqa: E402

if __name__ == '__main__':
    sys.exit(phicheck.run(HERE, 'bg-', 'fresh56'))
