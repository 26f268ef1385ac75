"""Which checks files a list of files and directories names.

Kept apart from the config package, which loads the models: shell completion
reads check names through it on every TAB, and must not pay for pydantic.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from e2echeck.errors import UsageError

#: The files a directory holds: what `run DIR`, `validate DIR` and `package DIR` read.
CONFIG_SUFFIXES = (".yaml", ".yml")


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """The files that `paths` name: a file as it is, a directory as the .yaml and
    .yml files under it, sorted (hidden folders and files skipped). A directory
    holding none is a usage error; a missing file is left for the loader to report."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix in CONFIG_SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not found:
            raise UsageError(f"{path}: no .yaml or .yml file in this directory")
        files.extend(found)
    return list(dict.fromkeys(files))  # a file named twice is read once
