"""Run a Python script or module here and report its peak RSS (VmHWM) at exit.

    python bench/hwm.py OUT -m e2echeck run checks.yaml ...
    python bench/hwm.py OUT bench/floor_client.py URL 1000 100

Why not ru_maxrss from wait4: on Linux it also counts the high-water mark of
the forked copy of the parent before exec, so a child of a large process (a
pytest session of 200 MB) reports the parent's size. VmHWM belongs to the
process's own memory after exec. OUT receives the figure in KiB.
"""

from __future__ import annotations

import atexit
import runpy
import sys


def _write_peak(out: str) -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(out, "w", encoding="ascii") as handle:
                    handle.write(line.split()[1])
                return


def main() -> None:
    out, rest = sys.argv[1], sys.argv[2:]
    atexit.register(_write_peak, out)
    if rest[0] == "-m":
        sys.argv = [rest[1], *rest[2:]]
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = rest
        runpy.run_path(rest[0], run_name="__main__")


if __name__ == "__main__":
    main()
