"""Command-line tools the tests run (lint-imports, cfn-lint, hadolint, ...).

A tool comes from the running interpreter's environment first (the virtualenv or
Python installation that `pip install -c requirements/ci.txt -e '.[test]'` filled,
whose scripts directory need not be on PATH), then from PATH: the versions the lock
pins win over whatever else the machine has.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path


def environment_dirs() -> list[str]:
    """Where this interpreter's environment keeps its console scripts, in order."""
    dirs = [str(Path(sys.executable).parent), sysconfig.get_path("scripts")]
    return list(dict.fromkeys(d for d in dirs if d))


def find_tool(name: str) -> str | None:
    """The executable `name`: in this interpreter's environment, else on PATH."""
    for directory in environment_dirs():
        found = shutil.which(name, path=directory)
        if found is not None:
            return found
    return shutil.which(name)
