#!/usr/bin/env python3
"""Writer BG: assemble MIME around the hand-written messages in msgs/<category>.txt, with the shared
assembly in ../lib/phibuild.py (writer M's build.py made configurable). Split fresh56.

  python3 build.py [category ...]
"""
import os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.dont_write_bytecode = True
import phibuild  # noqa: E402

if __name__ == '__main__':
    phibuild.configure(HERE, split='fresh56', profile='writer-bg')
    phibuild.run(sys.argv[1:])
