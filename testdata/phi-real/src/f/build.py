#!/usr/bin/env python3
"""Writer F: assemble MIME around the hand-written messages in msgs/<category>.txt, with the shared
assembly in ../lib/phibuild.py (a later writer's build.py made configurable: it also reads CSV as
UTF-8 for xlsx and escapes % for ImageMagick, which this writer's own copy did not). Split fresh3.

  python3 build.py [category ...]
"""
import os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.dont_write_bytecode = True
import phibuild  # noqa: E402

if __name__ == '__main__':
    phibuild.configure(HERE, split='fresh3', profile='writer-f')
    phibuild.run(sys.argv[1:])
