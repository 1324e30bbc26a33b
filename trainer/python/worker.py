#!/usr/bin/env python3
"""Entry point: python trainer/python/worker.py --server URL --token KEY [options] (see --help)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tuneloop_worker.worker import main  # noqa: E402

if __name__ == "__main__":
    main()
