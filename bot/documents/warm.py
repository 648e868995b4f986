"""Imported by the document sandbox's forkserver, only there: opens the Tesseract engine once.

The workers are forked from the forkserver, so they start with the engine already
loaded (no 0.3-0.5 s model load per new worker) and share the model's pages with it
copy-on-write instead of each holding its own copy: about 17 MB less per worker,
measured with two workers (PSS). The forkserver never runs OCR itself, so no
Tesseract or OpenMP thread exists at fork time.
"""

from bot import memory
from bot.documents import ocr

# Loading reads the 23 MB model file into a buffer that is freed afterwards: mmapped, it
# goes back to the kernel instead of staying in the heap every worker inherits.
memory.tune_allocator(arenas=1)
ocr.engine()
memory.give_back()
