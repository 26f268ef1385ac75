"""Defaults and bounds shared by the command line, the runner and the engine.

Declared once, here, and free of imports: the CLI shows them in `--help`
without loading the engine.
"""

DEFAULT_CONCURRENCY = 50  # requests in flight at most, unless --concurrency says otherwise
MAX_CONCURRENCY = 1000  # the largest --concurrency accepted
