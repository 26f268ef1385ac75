"""e2echeck's benchmark against the physical floor. See bench/README.md.

    python bench/run.py            # the full benchmark, a few minutes on 2 cores
    python bench/run.py --quick    # tiny sizes, a few seconds (the smoke test)

Starts its own servers on 127.0.0.1 (bench/servers.py), runs every measurement
`--repeat` times, floor and product interleaved, and prints one table: median,
min and max of e2echeck, the floor's median measured in the same run, their
ratio, and the target. Exit status 0 even when a target is missed (the table
says so); 2 when a measurement could not run at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # this checkout's e2echeck, not whatever pip -e points at
sys.path.insert(0, str(BENCH))  # cpu_share
PY = sys.executable
CACHE = Path(os.environ.get("E2ECHECK_BENCH_CACHE", Path.home() / ".cache" / "e2echeck-bench"))

MB = 1024 * 1024
# Rows that can run alone (--only); cpu-starved (a minute or more of six
# spinning processes) runs only when asked for.
STEPS = ("idle", "cpu-starved", "delivery", "start-up", "large-file", "zip", "locations")
BASELINE_REF = "fe54847"  # e2echeck before adaptive concurrency and transport timings


@dataclass
class Row:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    floor_name: str = ""
    target: str = ""  # e.g. "<= 1.2x floor", "<= 100 MB"
    check: Callable[[Row], bool] | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor) if self.floor else None

    @property
    def ratio(self) -> float | None:
        floor = self.floor_median
        return None if not floor else self.median / floor

    @property
    def met(self) -> bool | None:
        return None if self.check is None or not self.values else self.check(self)


def ratio_at_most(limit: float) -> Callable[[Row], bool]:
    return lambda row: row.ratio is not None and row.ratio <= limit


def value_at_most(limit: float) -> Callable[[Row], bool]:
    return lambda row: row.median <= limit


# -- subprocesses -------------------------------------------------------------------


def bench_env() -> dict[str, str]:
    """The environment of every measured process.

    Bytecode is cached (in CACHE/pycache, outside the checkout) for the floor
    and e2echeck alike: an installed package has its .pyc files (pip compiles
    them), and this machine sets PYTHONDONTWRITEBYTECODE=1, which would make
    every start of the editable checkout recompile e2echeck from source. The
    first run of each command (a warm-up, not counted) fills the cache."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    # This checkout's e2echeck, whatever `pip install -e` last pointed at.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("E2ECHECK_CONFIG", None)
    env.pop("PAGERDUTY_ROUTING_KEY", None)
    return env


@dataclass
class Usage:
    wall: float
    cpu: float  # user + sys of the child
    maxrss: float  # bytes (nan when not measured)
    code: int
    stderr: str


def measure(
    command: Sequence[str], env: dict[str, str], *, cwd: Path = ROOT, peak: bool = False
) -> Usage:
    """Run `command`; its wall time and CPU time (os.wait4), and with `peak` its
    peak RSS (VmHWM, through bench/hwm.py: `command` must be `python ...`)."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        hwm = Path(tmp) / "hwm"
        if peak:
            command = [command[0], str(BENCH / "hwm.py"), str(hwm), *command[1:]]
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        maxrss = float(hwm.read_text()) * 1024 if peak and hwm.exists() else float("nan")
    return Usage(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss=maxrss,
        code=process.returncode,
        stderr=text,
    )


def server(kind: str, delay: float, log: Path | None = None) -> AbstractContextManager[str]:
    """A bench/servers.py process; yields its base URL. Stops when stdin closes."""
    from cpu_share import serving

    command = [PY, str(BENCH / "servers.py"), kind, "--delay", str(delay)]
    if log is not None:
        command += ["--log", str(log)]
    return serving(command, bench_env())


# -- (a) (b) checks: throughput, CPU and memory ----------------------------------------


def write_checks(path: Path, base: str, count: int) -> None:
    lines = ["version: 1", "defaults: {retries: 0, timeout: 10s}", "checks:"]
    lines += [f"  - {{name: c{i}, url: '{base}/c{i}'}}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def bench_checks(count: int, concurrency: int, delay: float, repeat: int, tmp: Path) -> list[Row]:
    env = bench_env()
    wall = Row(
        f"run: {count} checks, {delay * 1000:.0f} ms target, conc {concurrency}: wall",
        "s",
        floor_name="bare httpx2.AsyncClient loop",
        target="<= 1.2x floor",
        check=ratio_at_most(1.2),
    )
    cpu = Row(
        f"run: {count} checks: CPU (user+sys)",
        "s",
        floor_name="bare httpx2.AsyncClient loop",
        target="<= 1.5x floor",
        check=ratio_at_most(1.5),
    )
    rss = Row(
        f"run: {count} checks: peak RSS",
        "MB",
        floor_name="bare httpx2.AsyncClient loop",
        target="<= 100 MB",
        check=value_at_most(100.0),
    )
    with server("target", delay) as base:
        config = tmp / "checks-throughput.yaml"
        write_checks(config, base, count)
        floor_cmd = [PY, str(BENCH / "floor_client.py"), base, str(count), str(concurrency)]
        product_cmd = [PY, "-m", "e2echeck", "run", str(config), "--no-alert", "-q"]
        product_cmd += ["--concurrency", str(concurrency)]
        for command in (floor_cmd, product_cmd):  # warm-up: bytecode, page cache
            _expect_ok(measure(command, env), command)
        for i in range(repeat):
            pair = [("floor", floor_cmd), ("product", product_cmd)]
            for kind, command in pair if i % 2 == 0 else pair[::-1]:
                usage = _expect_ok(measure(command, env, peak=True), command)
                if kind == "floor":
                    wall.floor.append(usage.wall)
                    cpu.floor.append(usage.cpu)
                    rss.floor.append(usage.maxrss / MB)
                else:
                    wall.values.append(usage.wall)
                    cpu.values.append(usage.cpu)
                    rss.values.append(usage.maxrss / MB)
    return [wall, cpu, rss]


def _expect_ok(usage: Usage, command: Sequence[str]) -> Usage:
    if usage.code != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {usage.code}:\n{usage.stderr.strip()[-2000:]}"
        )
    return usage


# -- (g) a small CPU: 1/7 of a core, as a 256 MB Lambda gets -----------------------------


def baseline_tree(ref: str, tmp: Path) -> Path | None:
    """e2echeck as it was at `ref` (git archive), for "today's" wall time; None
    when git or the ref is unavailable."""
    out = tmp / f"baseline-{ref}"
    if out.exists():
        return out
    out.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "e2echeck"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out


def bench_cpu_starved(
    count: int, busy: int, repeat: int, baseline_ref: str, tmp: Path
) -> list[Row]:
    """`count` checks of a 200 ms endpoint with `max_response_time: 400ms`, default
    concurrency, e2echeck pinned to one core next to `busy` spinning processes.
    Compared with the same checks on that core alone (latency) and with
    e2echeck at `baseline_ref` under the same load (wall time)."""
    from cpu_share import busy_loops, cpus, run_pinned, target_server, write_latency_checks

    cpu, others = cpus()
    env = bench_env()
    share = f"1/{busy + 1} core"
    false = Row(
        f"{share}: {count} checks, max 400ms, retries 0: false failures",
        "n",
        target="0",
        check=lambda row: max(row.values) == 0,
    )
    median = Row(
        f"{share}: {count} checks: median latency",
        "ms",
        floor_name="the same checks, e2echeck alone on the core (idle)",
        target="<= 1.15x floor",
        check=ratio_at_most(1.15),
    )
    wall = Row(
        f"{share}: {count} checks: wall",
        "s",
        floor_name=f"e2echeck before adaptive concurrency ({baseline_ref}), same load",
        target="<= 1.5x floor",
        check=ratio_at_most(1.5),
    )
    retried = Row(
        f"{share}: {count} checks, retries 2: retries in total",
        "n",
        target="<= 5",
        check=lambda row: max(row.values) <= 5,
    )
    old = baseline_tree(baseline_ref, tmp)
    old_env = dict(env, PYTHONPATH=str(old)) if old is not None else None
    with target_server(0.2, others, env) as base:
        strict, lenient = tmp / "starved-r0.yaml", tmp / "starved-r2.yaml"
        write_latency_checks(strict, base, count, retries=0)
        write_latency_checks(lenient, base, count, retries=2)
        run_pinned(strict, cpu, env)  # warm-up: page cache
        for _ in range(repeat):
            median.floor.append(run_pinned(strict, cpu, env).median_ms)
            with busy_loops(busy, cpu):
                run = run_pinned(strict, cpu, env)
                false.values.append(run.failed)
                median.values.append(run.median_ms)
                wall.values.append(run.wall)
                if old_env is not None:
                    wall.floor.append(run_pinned(strict, cpu, old_env).wall)
                retried.values.append(run_pinned(lenient, cpu, env).retries)
    if old_env is None:
        wall.note = f"git archive {baseline_ref} failed: no floor"
    return [false, median, wall, retried]


# -- (c) alert delivery ------------------------------------------------------------------


def bench_delivery(events: int, latency: float, repeat: int) -> list[Row]:
    env = bench_env()
    row = Row(
        f"deliver {events} events, PagerDuty answering in {latency * 1000:.0f} ms",
        "s",
        floor_name="bare httpx2.Client, same thread count",
        target="<= 1.0 s",
        check=value_at_most(1.0),
    )
    with server("pagerduty", latency) as base:
        url = f"{base}/v2/enqueue"
        for i in range(repeat + 1):  # the first round is a warm-up
            pair = ["floor", "product"] if i % 2 == 0 else ["product", "floor"]
            for mode in pair:
                command = [PY, str(BENCH / "alert_phase.py"), mode, url, str(events)]
                done = subprocess.run(
                    command, capture_output=True, text=True, env=env, cwd=ROOT, check=False
                )
                if done.returncode != 0:
                    raise RuntimeError(f"alert_phase {mode} failed:\n{done.stderr[-2000:]}")
                found = json.loads(done.stdout.strip().splitlines()[-1])
                if found["delivered"] != events:
                    raise RuntimeError(
                        f"alert_phase {mode}: {found['delivered']} of {events} delivered"
                    )
                if i == 0:
                    continue
                (row.floor if mode == "floor" else row.values).append(found["seconds"])
    return [row]


# -- (d) start-up ------------------------------------------------------------------------


def loaded_dependencies(code: str, env: dict[str, str]) -> list[str]:
    """Every module outside e2echeck that running `code` loads (standard library
    included), in the order it loads them: the command's dependencies exactly as
    it uses them. Only e2echeck's own work is left out of such a floor: its
    modules' bodies and the pydantic models they build. (`import pydantic`
    alone would not do: pydantic loads its BaseModel machinery lazily.)"""
    probe = (
        "import sys, json; before = set(sys.modules)\n"
        f"{code}\n"
        "print(json.dumps([m for m in sys.modules if m not in before "
        "and not m.startswith(('_', 'e2echeck')) and m != 'cython_runtime' "
        "and all(p.isidentifier() for p in m.split('.'))]))"
    )
    done = subprocess.run(
        [PY, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _tops(modules: Sequence[str]) -> str:
    third = [m for m in modules if m.split(".")[0] not in sys.stdlib_module_names]
    tops = ", ".join(dict.fromkeys(m.split(".")[0] for m in third))
    return f"{len(modules)} modules: {tops} and the standard library's"


def bench_startup(repeat: int, inner: int, tmp: Path) -> list[Row]:
    env = bench_env()
    example = ROOT / "checks.yaml"
    handler_deps = loaded_dependencies("import e2echeck.lambda_handler", env)
    validate_deps = loaded_dependencies(
        "import sys; sys.argv = ['e2echeck', 'validate', "
        f"{str(example)!r}]\nfrom e2echeck.cli import main\ntry:\n    main()\n"
        "except SystemExit:\n    pass",
        env,
    )
    cases = [
        (
            "start-up: e2echeck --version",
            [PY, "-m", "e2echeck", "--version"],
            [PY, "-c", "import click"],
            'python -c "import click"',
            1.2,
        ),
        (
            "start-up: e2echeck validate checks.yaml",
            [PY, "-m", "e2echeck", "validate", str(example)],
            [PY, "-c", "import click, yaml, pydantic"],
            'python -c "import click, yaml, pydantic" (the stated floor)',
            1.5,
        ),
        (
            "start-up: validate vs its deps as loaded",
            [PY, "-m", "e2echeck", "validate", str(example)],
            [PY, "-c", f"import {', '.join(validate_deps)}"],
            f"every module validate loads, e2echeck's aside ({_tops(validate_deps)}; "
            "proposed replacement floor)",
            1.5,
        ),
        (
            "start-up: import e2echeck.lambda_handler",
            [PY, "-c", "import e2echeck.lambda_handler"],
            [PY, "-c", f"import {', '.join(handler_deps)}"],
            f"every module the handler's import loads, e2echeck's aside ({_tops(handler_deps)})",
            1.3,
        ),
    ]
    rows = []
    for name, product_cmd, floor_cmd, floor_name, limit in cases:
        row = Row(
            name,
            "ms",
            floor_name=floor_name,
            target=f"<= {limit}x floor",
            check=ratio_at_most(limit),
            note=f"each figure: the mean of {inner} starts",
        )
        for command in (floor_cmd, product_cmd):
            _expect_ok(measure(command, env), command)  # warm-up: bytecode cache
        for i in range(repeat):
            pair = [(row.floor, floor_cmd), (row.values, product_cmd)]
            for into, command in pair if i % 2 == 0 else pair[::-1]:
                total = 0.0
                for _ in range(inner):
                    total += _expect_ok(measure(command, env), command).wall
                into.append(total / inner * 1000)
        rows.append(row)
    return rows


# -- (f) a large file ----------------------------------------------------------------------


def write_large_config(path: Path, count: int) -> None:
    """`count` checks in flow style (10,000 of them must fit the loader's 1 MiB cap)."""
    lines = [
        "version: 1",
        "defaults: {timeout: 5s, retries: 1, severity: error}",
        "checks:",
    ]
    lines += [
        f"- {{name: c{i}, url: 'https://s{i % 97}.example.com/{i}', "
        f"expect: {{status: 2xx, json: {{$.ok: 1}}}}, tags: [t{i % 7}]}}"
        for i in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def bench_large_file(count: int, repeat: int, tmp: Path) -> list[Row]:
    """The limit "10,000 checks in one file validate in under 2 s", as a user
    meets it: the whole `e2echeck validate` command, start-up included."""
    env = bench_env()
    path = tmp / "large.yaml"
    write_large_config(path, count)
    command = [PY, "-m", "e2echeck", "validate", str(path)]
    floor_cmd = [
        PY,
        "-c",
        "import gc, sys, yaml; gc.disable(); yaml.load(open(sys.argv[1]), yaml.CSafeLoader)",
        str(path),
    ]
    row = Row(
        f"validate a file of {count:,} checks",
        "s",
        floor_name="reading the YAML alone: yaml.load with libyaml's C loader, GC off "
        "(no positions, no validation)",
        target="<= 2.0 s",
        check=value_at_most(2.0),
    )
    _expect_ok(measure(command, env), command)  # warm-up: bytecode cache
    for _ in range(repeat):
        row.floor.append(_expect_ok(measure(floor_cmd, env), floor_cmd).wall)
        row.values.append(_expect_ok(measure(command, env), command).wall)
    return [row]


# -- (e) the Lambda zip ------------------------------------------------------------------


def zip_key(config: Path, requirements: Sequence[str], python: str, arch: str) -> str:
    """What the zip depends on: e2echeck's source, the config, the requirements,
    the target, and the pip doing the resolving. (A new release of a dependency
    on PyPI is not seen: delete the cache, or set E2ECHECK_BENCH_CACHE, to rebuild.)"""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "e2echeck").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(config.read_bytes())
    digest.update("\0".join([*requirements, python, arch]).encode())
    import importlib.metadata

    digest.update(importlib.metadata.version("pip").encode())
    return digest.hexdigest()[:16]


def bench_zip(quick: bool, tmp: Path) -> list[Row]:
    import zipfile

    from e2echeck.packaging import build_lambda_zip, runtime_requirements

    config = ROOT / "checks.yaml"
    requirements = [] if quick else runtime_requirements()
    key = zip_key(config, requirements, "3.12", "x86_64")
    cached = CACHE / f"lambda-py3.12-x86_64-{key}.zip"
    note = "cached build" if cached.exists() else "built now"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        # validation may warn about unset ${VAR}s of the example: not secrets here
        out = tmp / "lambda.zip"
        build_lambda_zip(config, out, "3.12", "x86_64", requirements=requirements)
        shutil.move(str(out), cached)
    size = cached.stat().st_size
    with zipfile.ZipFile(cached) as archive:
        ours = sum(
            i.compress_size + 30 + 46 + 2 * len(i.filename)  # local + central headers
            for i in archive.infolist()
            if i.filename.startswith("e2echeck/") or i.filename == "checks.yaml"
        )
    name = "Lambda zip, python3.12 x86_64" + (" (quick: no dependencies)" if quick else "")
    row = Row(
        name,
        "MB",
        values=[size / MB],
        floor=[(size - ours) / MB] if not quick else [],
        floor_name="its dependencies alone (without e2echeck/ and checks.yaml)",
        target="<= 6 MB",
        check=value_at_most(6.0),
        note=f"{note}: {cached}",
    )
    return [row]


# -- (h) several locations: the shared state --------------------------------------------


def bench_locations(checks: int, locations: int, repeat: int) -> list[Row]:
    """The shared state of `checks` x `locations` and one run's CPU work on it
    (bench/locations.py, in a fresh process)."""
    command = [PY, str(BENCH / "locations.py"), str(checks), str(locations), str(repeat)]
    completed = subprocess.run(
        command, capture_output=True, text=True, env=bench_env(), timeout=600, check=True
    )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    label = f"locations: {checks:,} checks x {locations} locations"
    return [
        Row(
            f"{label}, state size",
            "MB",
            values=[figures["state_bytes"] / MB],
            target="< 1 MB",
            check=value_at_most(1.0),
        ),
        Row(
            f"{label}, decision",
            "ms",
            values=[s * 1000 for s in figures["seconds"]],
            target="< 50 ms",
            check=value_at_most(50.0),
            note="CPU time of decode, record, decide and encode; no I/O",
        ),
    ]


# -- the table ---------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "n":
        return f"{value:.0f}"
    return f"{value:.2f} s"


def table(rows: list[Row]) -> str:
    header = ["measurement", "median", "min", "max", "floor", "ratio", "target", "met"]
    lines = []
    for row in rows:
        ratio = row.ratio
        met = row.met
        lines.append(
            [
                row.name,
                fmt(row.median, row.unit),
                fmt(min(row.values), row.unit),
                fmt(max(row.values), row.unit),
                fmt(row.floor_median, row.unit),
                "-" if ratio is None else f"{ratio:.2f}x",
                row.target,
                "-" if met is None else ("yes" if met else "NO"),
            ]
        )
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    out = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.append("")
    out.append("floors:")
    for row in rows:
        if row.floor_name:
            extra = f"; {row.note}" if row.note else ""
            out.append(f"  {row.name}: {row.floor_name}{extra}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument("--repeat", type=int, help="rounds per measurement (default 5; quick 2)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    parser.add_argument("--no-zip", action="store_true", help="skip the Lambda zip (no pip)")
    parser.add_argument(
        "--only",
        action="append",
        choices=STEPS,
        help="run only this group of rows (repeatable); cpu-starved runs only when named",
    )
    parser.add_argument(
        "--baseline-ref",
        default=BASELINE_REF,
        help="git ref of 'today's' e2echeck for the cpu-starved wall time",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 5)
    if args.quick:
        checks, concurrency, delay, events, inner = 20, 10, 0.05, 10, 1
    else:
        checks, concurrency, delay, events, inner = 1000, 100, 0.2, 200, 5
    started = time.perf_counter()
    rows: list[Row] = []
    print(
        f"e2echeck benchmark ({'quick' if args.quick else 'full'}; {repeat} rounds; "
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]})",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="e2echeck-bench-") as name:
        tmp = Path(name)
        steps: list[tuple[str, Callable[[], list[Row]]]] = [
            ("idle", lambda: bench_checks(checks, concurrency, delay, repeat, tmp)),
            (
                "cpu-starved",
                lambda: bench_cpu_starved(
                    20 if args.quick else 100, 6, repeat, args.baseline_ref, tmp
                ),
            ),
            ("delivery", lambda: bench_delivery(events, 0.05, repeat)),
            ("start-up", lambda: bench_startup(repeat, inner, tmp)),
            ("large-file", lambda: bench_large_file(100 if args.quick else 10_000, repeat, tmp)),
            ("zip", lambda: bench_zip(args.quick, tmp)),
            ("locations", lambda: bench_locations(100 if args.quick else 1000, 3, repeat)),
        ]
        wanted = set(args.only or [s for s in STEPS if s != "cpu-starved"])
        if args.no_zip:
            wanted.discard("zip")
        steps = [(label, step) for label, step in steps if label in wanted]
        for label, step in steps:
            t = time.perf_counter()
            try:
                rows.extend(step())
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                print(f"bench: {label} failed: {exc}", file=sys.stderr)
                return 2
            print(f"  {label}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    if args.quick:  # tiny sizes say nothing about the targets
        for row in rows:
            row.check = None
            row.target = "(full run)"
    print(table(rows))
    print(f"\ntotal: {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "unit": r.unit,
                        "values": r.values,
                        "floor": r.floor,
                        "ratio": r.ratio,
                        "target": r.target,
                        "met": r.met,
                    }
                    for r in rows
                ],
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
