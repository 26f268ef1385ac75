"""The command line, one module per command: thin over the library (config,
runner, packaging), every error ending at one boundary (`boundary.py`)."""

from e2echeck.cli.group import main

__all__ = ["main"]
