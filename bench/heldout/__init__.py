"""Held-out test corpus for document classification, generated from the CES procedure alone.

Written without reading the reader's code (``bot/``), ``tests/docgen.py`` or ``bench/classify.py``:
see ``README.md``. Entry point: ``python -m bench.heldout.generate OUT_DIR [--seed N]``.
"""
