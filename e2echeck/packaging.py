"""`e2echeck package`: the AWS Lambda zip.

The zip holds, at its root: the `e2echeck` package (copied from its source),
its runtime dependencies installed by pip from manylinux wheels built for the
target Python and architecture (never the host's), the config as `checks.yaml`,
and `e2echeck-manifest.json` (e2echeck's version, the target, every bundled
package==version), which the handler logs once per cold start. The Lambda handler
is `e2echeck.lambda_handler.handler`.

The versions are pinned, never "whatever pip finds today": each runtime
dependency, and each of their dependencies, is constrained to the version
installed beside e2echeck (the environment that validated and ran the checks), or
to the version a constraints file (`--constraints requirements/ci.txt`) pins.

The zip is deterministic: the same inputs (config, e2echeck source, pinned
dependency versions) give a byte-identical file. Entries are sorted, every
timestamp is 1980-01-01 00:00, every file is mode 0644, and there are no
directory entries, `__pycache__` directories or compiled `.pyc` files.
boto3, botocore and s3transfer are never bundled: the Lambda runtime ships them.
tzdata always is: the runtime may lack the time-zone data maintenance windows need.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from e2echeck.errors import ConstraintsError as ConstraintsError
from e2echeck.errors import PackagingError as PackagingError
from e2echeck.lambda_targets import (
    ARCHITECTURES,
    DEFAULT_ARCH,
    DEFAULT_PYTHON,
    MANIFEST_NAME,
    SUITE_DIR,
)

HANDLER = "e2echeck.lambda_handler.handler"
CONFIG_NAME = "checks.yaml"

# Always bundled, even when the installed distribution's metadata predates it:
# the Lambda runtimes may have no IANA time-zone data (/usr/share/zoneinfo), and
# zoneinfo needs it to evaluate maintenance windows in their time zones.
ALWAYS_BUNDLED = ("tzdata",)

# Shipped by the Lambda Python runtimes; bundling them only adds megabytes and
# shadows the runtime's own, patched copies.
EXCLUDED_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer")

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--
_UNIX = 3  # ZipInfo.create_system


@dataclass(frozen=True)
class Pins:
    """The versions the zip's dependencies are held to, and where they came from."""

    versions: dict[str, str]  # canonical name -> version
    source: str  # for people: "the versions installed beside e2echeck (/usr/bin/python3)"


@dataclass(frozen=True)
class PackageInfo:
    path: Path
    size_bytes: int
    handler: str = HANDLER
    packages: tuple[str, ...] = ()  # "name==version" of each bundled package, sorted
    pins_source: str = ""
    manifest: str = MANIFEST_NAME


def build_lambda_zip(
    config_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    python_version: str = DEFAULT_PYTHON,
    arch: str = DEFAULT_ARCH,
    *,
    requirements: Sequence[str] | None = None,
    constraints: str | os.PathLike[str] | None = None,
) -> PackageInfo:
    """Validate `config_path`, then write the Lambda zip to `output`.

    Raises ConfigError when the config is invalid (before anything is
    downloaded) and PackagingError when pip or the arguments fail.
    `python_version` is the target interpreter "X.Y"; the CLI offers the Lambda
    runtimes (lambda_targets.PYTHON_VERSIONS), the tests also use the host's
    version. `requirements` defaults to the runtime dependencies of the installed
    e2echeck distribution. Their versions come from `constraints` (a pip
    requirements file of `name==version` pins, such as requirements/ci.txt), else
    from the distributions installed beside e2echeck.
    """
    from e2echeck.config import ConfigError

    if arch not in ARCHITECTURES:
        raise PackagingError(f"unknown architecture {arch!r}; expected x86_64 or arm64")
    if not _is_python_version(python_version):
        raise PackagingError(f"invalid Python version {python_version!r}; expected e.g. 3.12")

    # The secrets are set in the Lambda's environment, not here: an unset
    # ${VAR} is a warning at packaging time, as with `e2echeck validate`, and a
    # secret reference is only checked (the function reads it).
    from e2echeck.config.secret_refs import collecting
    from e2echeck.config.suites import check_suite_paths, expand_paths

    given = Path(config_path)
    with collecting():
        result = check_suite_paths([given])
    if result.errors or result.config is None:
        raise ConfigError(result.errors)
    # A file is the zip's checks.yaml; a directory's files go under checks.d/,
    # which the function then reads as one run.
    bundled = (
        {Path(SUITE_DIR) / f.relative_to(given): f.read_bytes() for f in expand_paths([given])}
        if given.is_dir()
        else {Path(CONFIG_NAME): given.read_bytes()}
    )

    deps = list(runtime_requirements() if requirements is None else requirements)
    if requirements is None:
        deps += [d for d in ALWAYS_BUNDLED if not any(_named(r, d) for r in deps)]
        deps = kind_requirements(deps, [check.first_url for check in result.config.checks])
    if constraints is not None:
        pins = constraint_pins(constraints, deps)
    elif requirements is None:
        pins = installed_pins(deps)
    else:
        pins = Pins({}, "nothing (explicit requirements)")
    output_path = Path(output)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="e2echeck-package-") as tmp:
        target = Path(tmp) / "root"
        target.mkdir()
        constraints_file = Path(tmp) / "constraints.txt"
        constraints_file.write_text(
            "".join(f"{name}=={version}\n" for name, version in sorted(pins.versions.items())),
            encoding="utf-8",
        )
        if deps:
            _pip_install(target, deps, python_version, arch, constraints_file)
        _prune(target)
        packages = bundled_packages(target)
        _copy_package(target / "e2echeck")
        for name, data in bundled.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        (target / MANIFEST_NAME).write_bytes(manifest_bytes(python_version, arch, packages))
        partial = output_path.with_name(output_path.name + ".partial")
        try:
            _write_zip(target, partial)
            partial.replace(output_path)
        finally:
            partial.unlink(missing_ok=True)
    return PackageInfo(
        path=output_path,
        size_bytes=output_path.stat().st_size,
        packages=packages,
        pins_source=pins.source,
    )


def kind_requirements(deps: list[str], urls: list[str]) -> list[str]:
    """`deps` with the libraries of the check kinds the file uses (dnspython for
    dns://), and without those of the kinds it does not use: a zip carries only
    what its checks import."""
    from e2echeck.config.kinds import KINDS, kinds_used

    used = kinds_used(urls)
    unused = {name for entry in KINDS if entry.name not in used for name in entry.requirements}
    needed = [name for entry in KINDS if entry.name in used for name in entry.requirements]
    kept = [dep for dep in deps if not any(_named(dep, name) for name in unused)]
    return kept + [name for name in needed if not any(_named(dep, name) for dep in kept)]


def runtime_requirements() -> list[str]:
    """e2echeck's runtime requirements, extras excluded (the `aws` extra is boto3).

    Read from the installed distribution's metadata; from pyproject.toml next to
    the package when e2echeck runs from a source tree that is not installed.
    """
    import importlib.metadata

    try:
        declared = importlib.metadata.requires("e2echeck")
    except importlib.metadata.PackageNotFoundError:
        declared = None
    if declared is None:
        declared = _requirements_from_pyproject()
    return [req for req in declared if not _is_extra(req)]


def _requirements_from_pyproject() -> list[str]:
    import tomllib

    pyproject = _package_source().parent / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackagingError(
            "cannot find e2echeck's dependencies: the distribution is not installed "
            f"and {pyproject} does not exist"
        ) from exc
    deps = data.get("project", {}).get("dependencies", [])
    return [str(dep) for dep in deps]


def canonical(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name_and_extras(requirement: str) -> tuple[str, set[str]]:
    """("pydantic", {"email"}) of "pydantic[email]>=2.6; python_version >= '3.8'"."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
    if match is None:
        raise PackagingError(f"cannot read the requirement {requirement!r}")
    extras = {canonical(e) for e in (match.group(2) or "").split(",") if e.strip()}
    return canonical(match.group(1)), extras


def installed_pins(requirements: Sequence[str]) -> Pins:
    """The versions installed beside e2echeck of `requirements` and of everything
    they require, in turn (each distribution's own metadata, its extras followed
    only where a requirement asks for them). Requirements that need another Python
    than this one may name distributions not installed here: those are skipped, and
    the manifest shows the version pip chose."""
    import importlib.metadata

    versions: dict[str, str] = {}
    missing: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [_name_and_extras(req) for req in requirements]
    while pending:
        name, extras = pending.pop()
        if (name, frozenset(extras)) in seen:
            continue
        seen.add((name, frozenset(extras)))
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if any(_named(req, name) for req in requirements):
                missing.append(name)
            continue
        versions[name] = distribution.version
        for requirement in distribution.requires or ():
            wanted = _extra_of(requirement)
            if wanted is None or wanted in extras:
                pending.append(_name_and_extras(requirement))
    if missing:
        raise PackagingError(
            f"{', '.join(sorted(missing))} not installed beside e2echeck, so its version "
            "cannot be pinned: install e2echeck with its dependencies, or pass "
            "--constraints FILE"
        )
    return Pins(versions, f"the versions installed beside e2echeck ({sys.executable})")


def _extra_of(requirement: str) -> str | None:
    """The extra a requirement belongs to ("extra == 'x'" in its marker), if any."""
    match = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement.partition(";")[2])
    return canonical(match.group(1)) if match else None


def constraint_pins(path: str | os.PathLike[str], requirements: Sequence[str]) -> Pins:
    """The `name==version` pins of a pip requirements file (comments, options and
    environment markers ignored); every one of `requirements` must be pinned there."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConstraintsError(
            f"cannot read the constraints file {path}: {exc.strerror or exc}"
        ) from exc
    versions: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].split(";", 1)[0].strip()
        if not line or line.startswith(("#", "-")) or _named(line, "e2echeck"):
            continue  # e2echeck itself is copied from its source (`pip freeze` names it)
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*(\S+)", line)
        if match is None:
            raise ConstraintsError(
                f"{path}:{number}: expected a pin such as 'click==8.1.7', got {raw.strip()!r}"
            )
        versions[canonical(match.group(1))] = match.group(2)
    unpinned = sorted({_name_and_extras(req)[0] for req in requirements} - versions.keys())
    if unpinned:
        raise ConstraintsError(
            f"{path} pins no version of {', '.join(unpinned)} (a dependency of e2echeck)"
        )
    return Pins(versions, f"the versions {path} pins")


def bundled_packages(target: Path) -> tuple[str, ...]:
    """ "name==version" of every distribution pip installed into `target`, sorted."""
    found = set()
    for info in target.glob("*.dist-info"):
        metadata = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
        fields = dict(
            line.split(": ", 1)
            for line in metadata.split("\n\n", 1)[0].splitlines()
            if ": " in line
        )
        found.add(f"{canonical(fields['Name'])}=={fields['Version']}")
    return tuple(sorted(found))


def manifest_bytes(python_version: str, arch: str, packages: Sequence[str]) -> bytes:
    """The zip's manifest: what it holds, with nothing that changes between builds."""
    from e2echeck import __version__

    document = {
        "e2echeck": __version__,
        "python": python_version,
        "arch": arch,
        "platform": ARCHITECTURES[arch],
        "packages": sorted(packages),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _named(requirement: str, name: str) -> bool:
    """Whether `requirement` ("tzdata>=2024.1; ...") is for the distribution `name`."""
    head = requirement.split(";", 1)[0].strip().lower()
    for stop in "<>=!~[ (":
        head = head.split(stop, 1)[0]
    return head.replace("_", "-") == name


def _is_extra(requirement: str) -> bool:
    _, _, marker = requirement.partition(";")
    return "extra" in marker


def _is_python_version(value: str) -> bool:
    major, dot, minor = value.partition(".")
    return dot == "." and major == "3" and minor.isdigit()


def _pip_install(
    target: Path, deps: Sequence[str], python_version: str, arch: str, constraints: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--platform",
        ARCHITECTURES[arch],
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--no-compile",  # no .pyc: Lambda's filesystem is read-only, they would be stale
        "--no-warn-script-location",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--constraint",
        str(constraints),
        *deps,
    ]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()
        raise PackagingError(
            f"pip could not install the dependencies for Python {python_version} on "
            f"{ARCHITECTURES[arch]} (manylinux wheels only):\n{detail}"
        )


def _prune(target: Path) -> None:
    """Remove what the Lambda never uses: boto3 & co, console scripts, bytecode."""
    for entry in list(target.iterdir()):
        name = entry.name
        top = name.split("-", 1)[0].lower().replace("_", "-") if name.endswith("-info") else name
        if (
            name == "bin"  # console scripts, with a shebang of the build machine
            or name == "__pycache__"
            or top in EXCLUDED_DISTRIBUTIONS
            or name in EXCLUDED_DISTRIBUTIONS
        ):
            _remove(entry)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.name == "__pycache__" and path.is_dir():
            shutil.rmtree(path)
        elif path.suffix in {".pyc", ".pyo"}:
            path.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _package_source() -> Path:
    import e2echeck

    return Path(e2echeck.__file__).resolve().parent


def _copy_package(destination: Path) -> None:
    if destination.exists():
        # A dependency must never bring its own `e2echeck`.
        raise PackagingError("a dependency installed a top-level 'e2echeck' package")
    shutil.copytree(
        _package_source(),
        destination,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"),
    )


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    for path in root.rglob("*"):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            if "__pycache__" in relative.split("/") or relative.endswith((".pyc", ".pyo")):
                continue
            yield relative, path


def _write_zip(root: Path, output: Path) -> None:
    entries = sorted(_files(root))
    with zipfile.ZipFile(output, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.create_system = _UNIX
            info.external_attr = _FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
