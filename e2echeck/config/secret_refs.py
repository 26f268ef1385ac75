"""Secret references in checks.yaml: `${ssm:/name}`, `${secretsmanager:id}` and
`${secretsmanager:id#field}`, allowed wherever `${VAR}` is.

The interpolator hands every reference here. What happens to it depends on the
mode the caller installed around loading the config (a context variable, so
the loader needs no parameter for it):

- `resolving(store)`: fetch it with boto3 (imported only now) through `store`,
  which keeps values for a while; a fetch that fails is an InterpolationError,
  which the loader turns into a config error at the reference's position.
- `collecting()`: check the syntax, remember it, leave the text as written
  (`e2echeck validate` never calls AWS).

With no mode installed, references are resolved through a store of this module.
The error messages name the reference, never a value.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from e2echeck.config.interpolation import InterpolationError

# A fetched value is reused this long; then fetched again, so a rotation shows.
DEFAULT_TTL_S = 15 * 60

# SSM: a name (letters, digits, _ . - /), optionally :version or :label, or an ARN.
_SSM_NAME = re.compile(r"^[A-Za-z0-9_.\-/:]{1,2048}$")
# Secrets Manager: a name or an ARN (letters, digits, / _ + = . @ - :).
_SECRET_ID = re.compile(r"^[A-Za-z0-9/_+=.@\-:]{1,2048}$")
_FIELD = re.compile(r"^[^\s{}#]{1,256}$")
Position = tuple[int, int]


@dataclass(frozen=True)
class SecretReference:
    service: Literal["ssm", "secretsmanager"]
    name: str
    field: str | None = None

    def __str__(self) -> str:
        suffix = f"#{self.field}" if self.field is not None else ""
        return f"${{{self.service}:{self.name}{suffix}}}"


def parse_reference(inner: str) -> SecretReference:
    """The reference written as `${inner}`; InterpolationError when malformed."""
    service, _, rest = inner.partition(":")
    if service == "ssm":
        if "#" in rest:
            raise InterpolationError(
                f"invalid secret reference ${{{inner}}}: #field applies to "
                "${secretsmanager:id#field} only"
            )
        if not _SSM_NAME.match(rest):
            raise InterpolationError(
                f"invalid secret reference ${{{inner}}}: expected ${{ssm:/parameter/name}} "
                "(letters, digits and _ . - / in the name)"
            )
        return SecretReference("ssm", rest)
    if service == "secretsmanager":
        name, hashed, field_name = rest.partition("#")
        if not _SECRET_ID.match(name) or (hashed and not _FIELD.match(field_name)):
            raise InterpolationError(
                f"invalid secret reference ${{{inner}}}: expected ${{secretsmanager:id}} or "
                "${secretsmanager:id#field} (a name or ARN; a field without spaces)"
            )
        return SecretReference("secretsmanager", name, field_name if hashed else None)
    raise InterpolationError(f"invalid secret reference ${{{inner}}}")  # pragma: no cover


class SecretFetchError(Exception):
    """A reference could not be read; the message says why, never a value."""


@dataclass
class SecretStore:
    """Fetches secrets with boto3 and keeps each for `ttl` seconds of `clock`.

    One GetSecretValue serves every #field of a secret. Failures are not kept:
    the next load tries again.
    """

    ttl: float = DEFAULT_TTL_S
    clock: Callable[[], float] = time.monotonic
    _values: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)

    def value(self, ref: SecretReference) -> str:
        raw = self._raw(ref.service, ref.name)
        if ref.field is None:
            return raw
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise SecretFetchError("the secret is not a JSON object, so a #field cannot be read")
        if ref.field not in document:
            raise SecretFetchError(f"the secret has no field {ref.field!r}")
        found = document[ref.field]
        if isinstance(found, bool):
            return "true" if found else "false"
        if isinstance(found, str | int | float):
            return str(found)
        raise SecretFetchError(f"the field {ref.field!r} is not a string or a number")

    def clear(self) -> None:
        self._values.clear()
        self._clients.clear()

    def _raw(self, service: str, name: str) -> str:
        key = (service, name)
        now = self.clock()
        kept = self._values.get(key)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        value = self._fetch(service, name)
        self._values[key] = (now, value)
        return value

    def _fetch(self, service: str, name: str) -> str:
        client = self._client(service)
        errors = importlib.import_module("botocore.exceptions")
        BotoCoreError, ClientError = errors.BotoCoreError, errors.ClientError
        NoCredentialsError = errors.NoCredentialsError

        try:
            if service == "ssm":
                answer = client.get_parameter(Name=name, WithDecryption=True)
                return str(answer["Parameter"]["Value"])
            answer = client.get_secret_value(SecretId=name)
        except NoCredentialsError:
            raise SecretFetchError("no AWS credentials were found") from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "error"))
            raise SecretFetchError(_client_error(code)) from None
        except BotoCoreError as exc:
            raise SecretFetchError(f"{type(exc).__name__}: {exc}") from None
        if "SecretString" not in answer:
            raise SecretFetchError("the secret is binary; only string secrets can be used")
        return str(answer["SecretString"])

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is not None:
            return client
        try:
            # Shipped by the Lambda runtime (the `aws` extra elsewhere); imported
            # only when a config holds a reference.
            boto3 = importlib.import_module("boto3")
            BotoConfig = importlib.import_module("botocore.config").Config
            NoRegionError = importlib.import_module("botocore.exceptions").NoRegionError
        except ImportError:
            raise SecretFetchError(
                "boto3 is not installed (install e2echeck with its aws extra, or pip install boto3)"
            ) from None
        settings = BotoConfig(
            connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}
        )
        try:
            # A session of its own: credentials are looked up afresh for each
            # store, not kept in boto3's default session for the process.
            client = boto3.session.Session().client(service, config=settings)
        except NoRegionError:
            raise SecretFetchError("no AWS region is set (set AWS_DEFAULT_REGION)") from None
        self._clients[service] = client
        return client


def _client_error(code: str) -> str:
    if code in ("ParameterNotFound", "ResourceNotFoundException", "ParameterVersionNotFound"):
        return "not found"
    if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
        return f"access denied ({code})"
    if code.startswith("KMS") or code == "DecryptionFailure":
        return f"cannot decrypt it ({code})"
    return code


@dataclass
class ReferenceSession:
    """The references met while loading one config, and how to treat them."""

    store: SecretStore | None  # None: collect only (validate)
    references: dict[SecretReference, str | None] = field(default_factory=dict)
    _failures: dict[SecretReference, str] = field(default_factory=dict)

    def substitute(self, inner: str) -> str | None:
        """The value of `${inner}`, or None to leave it as written (collecting)."""
        ref = parse_reference(inner)
        if self.store is None:
            self.references.setdefault(ref, None)
            return None
        failure = self._failures.get(ref)
        if failure is None:
            try:
                value = self.store.value(ref)
            except SecretFetchError as exc:
                failure = self._failures[ref] = str(exc)
            else:
                self.references[ref] = "read"
                return value
        self.references[ref] = failure
        raise InterpolationError(f"cannot read the secret reference {ref}: {failure}")


_SESSION: ContextVar[ReferenceSession | None] = ContextVar("e2echeck_secret_refs", default=None)
_DEFAULT_STORE = SecretStore()


@contextmanager
def resolving(store: SecretStore | None = None) -> Iterator[ReferenceSession]:
    """Resolve the references of configs loaded inside (a fresh store by default)."""
    session = ReferenceSession(SecretStore() if store is None else store)
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


@contextmanager
def collecting() -> Iterator[ReferenceSession]:
    """Check and record references without fetching them (validate)."""
    session = ReferenceSession(None)
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


def substitute(inner: str) -> str | None:
    """The interpolator's hook: the value of `${inner}`, or None to keep the text."""
    session = _SESSION.get()
    if session is None:
        session = ReferenceSession(_DEFAULT_STORE)
    return session.substitute(inner)


def positions(text: str, references: Iterable[SecretReference]) -> dict[SecretReference, Position]:
    """(line, column) of each reference's first appearance in the file's text
    (a reference that came from an environment variable does not appear)."""
    found: dict[SecretReference, Position] = {}
    for ref in references:
        index = text.find(str(ref))
        if index < 0:
            continue
        before = text[:index]
        found[ref] = (before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)
    return found
