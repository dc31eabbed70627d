"""The test suite. Importing this package (pytest does, before conftest.py) lets the test run cache bytecode.

Where PYTHONDONTWRITEBYTECODE is set, every test process would compile the project's modules and rewrite the asserts
of every test module again: about a second of each process's start. Their bytecode goes to `__pycache__` (ignored by
git) instead, so a second run starts from it. Installed packages are compiled by `uv sync` (`compile-bytecode`).
"""

import sys

sys.dont_write_bytecode = False
