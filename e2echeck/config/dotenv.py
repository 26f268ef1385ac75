"""Environment files for `${VAR}` in checks.yaml: `--env-file PATH` and a `.env`
beside the checks file, the way peers (Checkly, docker compose) read them.

Precedence, highest first: the process environment (an exported variable, a CI
secret, always wins), then each `--env-file` (a later one over an earlier one),
then the `.env` beside the checks file. The files only fill in what is unset, so
nothing in a file can silently replace what the shell says.

The format is the common subset: `NAME=value` lines, an optional `export `,
`#` comments and blank lines, values in single quotes (literal) or double
quotes (`\\n`, `\\"` and `\\\\` escapes), and ` #` starting a comment after an
unquoted value. Nothing is expanded: `${OTHER}` in a value is kept as written,
and checks.yaml's own interpolation reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from e2echeck.errors import ConfigError, Problem

DOTENV_NAME = ".env"
_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of one file; ConfigError naming the file and line otherwise."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(source, 1, 1, "", "env file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        message = f"cannot read the env file: {getattr(exc, 'strerror', None) or exc}"
        raise ConfigError([Problem(source, 1, 1, "", message)]) from None
    variables: dict[str, str] = {}
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            problems.append(
                Problem(source, number, 1, "", "expected NAME=value (a name of letters, digits, _)")
            )
            continue
        name, rest = match.groups()
        try:
            variables[name] = _value(rest)
        except ValueError as exc:
            problems.append(Problem(source, number, raw.index("=") + 2, name, str(exc)))
    if problems:
        raise ConfigError(problems)
    return variables


def _value(rest: str) -> str:
    if rest[:1] == "'":
        end = rest.find("'", 1)
        if end < 0:
            raise ValueError("unclosed single quote")
        return rest[1:end]
    if rest[:1] == '"':
        out: list[str] = []
        index = 1
        while index < len(rest):
            char = rest[index]
            if char == "\\" and index + 1 < len(rest):
                following = rest[index + 1]
                out.append(_ESCAPES.get(following, "\\" + following))
                index += 2
                continue
            if char == '"':
                return "".join(out)
            out.append(char)
            index += 1
        raise ValueError("unclosed double quote")
    comment = re.search(r"\s#", rest)
    return (rest[: comment.start()] if comment else rest).strip()


def environment_for(
    config_path: Path, env_files: Sequence[str], environ: Mapping[str, str]
) -> dict[str, str]:
    """The environment checks.yaml's `${VAR}` read: `environ` over the env files
    (later over earlier) over the `.env` beside `config_path`, when it exists."""
    layers: list[dict[str, str]] = []
    beside = config_path.parent / DOTENV_NAME
    if beside.is_file():
        layers.append(read_env_file(beside))
    layers.extend(read_env_file(Path(name)) for name in env_files)
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    merged.update(environ)
    return merged
