"""`${VAR}`, `${VAR:-default}` and `$${` in checks.yaml strings, read at load time.

Secret references (`${ssm:...}`, `${secretsmanager:...}`), written in the file or
as the whole value of an environment variable, are handed to secret_refs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from e2echeck.redaction.names import MIN_SECRET_LENGTH

_REFERENCE_PREFIXES = ("ssm:", "secretsmanager:")
_ENV_REFERENCE = ("${ssm:", "${secretsmanager:")
_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)


class InterpolationError(ValueError):
    pass


@dataclass
class Interpolator:
    """Substitutes environment variables and remembers what it substituted.

    An unset variable without a default is left as written and recorded in
    `unset`; the loader decides whether that is an error or a warning.
    """

    env: Mapping[str, str]
    secrets: set[str] = field(default_factory=set)  # from secret references: always secret
    # Every substituted environment value by variable name: the config decides
    # (by the name, and `redact.env`) which of them are secrets.
    env_values: dict[str, set[str]] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)
    # Secret references left as written (validate checks them, never reads them):
    # their value stands for something unknown, like an unset variable's.
    kept: list[str] = field(default_factory=list)
    # Every result that came from a ${...}: what the file wrote is not literally it.
    substituted: set[str] = field(default_factory=set)
    # {a secret reference's value: the reference}, to name it where it is used.
    references: dict[str, str] = field(default_factory=dict)

    def __call__(self, text: str) -> str:
        if "$" not in text:
            return text
        unset_here: list[str] = []

        def replace(match: re.Match[str]) -> str:
            token = match.group(0)
            if token == "$${":
                return "${"
            if match.group(1) is None:
                raise InterpolationError(
                    "unclosed '${': write ${NAME} or ${NAME:-default}, or $${ for a literal '${'"
                )
            if match.group(1).startswith(_REFERENCE_PREFIXES):
                return self._reference(match.group(1), token)
            variable = _VARIABLE.match(match.group(1))
            if not variable:
                raise InterpolationError(
                    f"invalid variable {token!r}: expected ${{NAME}} or ${{NAME:-default}} "
                    "with a name of letters, digits and _"
                )
            name, default = variable.group(1), variable.group(2)
            value = self.env.get(name)
            if value is not None and value.startswith(_ENV_REFERENCE) and value.endswith("}"):
                try:
                    return self._reference(value[2:-1], token)
                except InterpolationError as exc:
                    raise InterpolationError(f"environment variable {name}: {exc}") from None
            if value is not None and (value != "" or default is None):
                if len(value) >= MIN_SECRET_LENGTH:
                    self.env_values.setdefault(name, set()).add(value)
                return value
            if default is not None:
                return default
            unset_here.append(name)
            return token

        result = _TOKEN.sub(replace, text)
        self.unset.extend(unset_here)
        if result != text:
            self.substituted.add(result)
        return result

    def _reference(self, inner: str, token: str) -> str:
        """A secret reference's value (a secret), or `token` when only collecting."""
        from e2echeck.config.secret_refs import substitute

        value = substitute(inner)
        if value is None:
            self.kept.append(token)
            return token
        if len(value) >= MIN_SECRET_LENGTH:
            self.secrets.add(value)
            self.references[value] = "${" + inner + "}"
        return value
