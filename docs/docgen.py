"""Markdown references generated from the code, for the docs (run by cog).

Docs tooling, kept beside the docs and out of the package (it ships in neither the
wheel nor the Lambda zip): `cog -r docs/*.md` imports it as `docgen` (cog puts the
page's directory on sys.path) to rewrite the blocks between `[[[cog` and `[[[end]]]`
in docs/, and a test fails when they are stale. mkdocs.yml keeps it out of the site.
The configuration reference walks the JSON Schema that editors use (so the two
cannot disagree) and takes defaults from the pydantic models; the CLI reference
is Click's own help of every command.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from e2echeck import __version__

JsonSchema = dict[str, Any]

# Keys that describe a schema rather than shape the values it accepts.
_NOTES = ("description", "default", "title", "examples")
# Value types of their own, declared once in e2echeck.config.types.
_NAMED_TYPES = (
    ("Duration", "duration"),
    ("PositiveDuration", "positive duration"),
    ("StatusSpec", "status"),
    ("RetryCount", "retry count"),
    ("PositiveWhole", "positive whole number"),
    ("NonNegativeWhole", "whole number"),
)
_DURATIONS = ("duration", "positive duration")
_ANCHOR_PREFIX = "ref-"


def _strip(schema: JsonSchema) -> JsonSchema:
    return {key: value for key, value in schema.items() if key not in _NOTES}


def _named_types() -> list[tuple[str, JsonSchema, str]]:
    """(name, schema without notes, description) of each named value type."""
    from e2echeck.config import types

    found = []
    for attribute, name in _NAMED_TYPES:
        alias = getattr(types, attribute, None)
        if alias is None:
            continue
        schema = TypeAdapter(alias).json_schema()
        found.append((name, _strip(schema), str(schema.get("description", ""))))
    return found


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from `root` through its fields, by class name."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ in found:
                return
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                visit(field.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(root)
    return found


class _Reference:
    """Renders one JSON Schema, with its $defs, as markdown tables."""

    def __init__(self, schema: JsonSchema, root: type[BaseModel]) -> None:
        self.defs: dict[str, JsonSchema] = schema.get("$defs", {})
        self.root_def: str | None = None
        if "$ref" in schema and "properties" not in schema:  # a recursive root model
            self.root_def = schema["$ref"].rsplit("/", 1)[-1]
            schema = {**self.defs.get(self.root_def, {}), **_strip(schema)}
            schema.pop("$ref", None)
        self.schema = schema
        self.models = _models(root)
        self.root = root
        self.named = _named_types()

    # -- types -----------------------------------------------------------

    def named_type(self, schema: JsonSchema) -> str | None:
        bare = _strip(schema)
        for name, named, _ in self.named:
            if bare == named:
                return name
        return None

    def type_of(self, schema: JsonSchema) -> str:
        """A short, readable type: `string`, `list of [step](#ref-step)`..."""
        named = self.named_type(schema)
        if named is not None:
            return f"[{named}](#{_ANCHOR_PREFIX}value-types)"
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return f"[{self.title_of(name)}](#{self.anchor_of(name)})"
        for key in ("anyOf", "oneOf"):
            if key in schema:
                parts = [s for s in schema[key] if s.get("type") != "null"]
                rendered = _unique(self.type_of(part) for part in parts)
                return _either(rendered)
        if "const" in schema:
            return f"`{_yaml(schema['const'])}`"
        if "enum" in schema:
            return "one of " + ", ".join(f"`{_yaml(v)}`" for v in schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            return _either([self.type_of({**schema, "type": k}) for k in kind if k != "null"])
        if kind == "array":
            items = schema.get("items")
            text = f"list of {self.type_of(items)}" if isinstance(items, dict) else "list"
            return text + _bounds(schema, "minItems", "maxItems", "items")
        if kind == "object":
            values = schema.get("additionalProperties")
            if isinstance(values, dict) and values:
                keys = "string"
                pattern = schema.get("propertyNames", {}).get("pattern")
                if pattern:
                    keys = f"key matching `{pattern}`"
                return f"mapping of {keys} to {self.type_of(values)}"
            if "properties" in schema:
                keys = ", ".join(f"`{k}`" for k in schema["properties"])
                if schema.get("maxProperties") == 1:
                    return f"a mapping with one key of {keys}"
                return f"mapping of {keys}"
            return "mapping"
        if kind == "string":
            text = "string" + _bounds(schema, "minLength", "maxLength", "characters")
            if "pattern" in schema:
                text += f" matching `{schema['pattern']}`"
            return text
        if kind in ("integer", "number"):
            return str(kind) + _bounds(schema, "minimum", "maximum", "")
        if kind in ("boolean", "null"):
            return str(kind)
        return "any value"

    # -- sections --------------------------------------------------------

    def title_of(self, name: str) -> str:
        """PagerDutyConfig -> "pager duty config": a link text for the section."""
        title = str(self.defs.get(name, {}).get("title", name))
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", title).lower()

    def anchor_of(self, name: str) -> str:
        if name == self.root_def:
            return f"{_ANCHOR_PREFIX}top-level"
        return _ANCHOR_PREFIX + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")

    def order(self) -> list[tuple[str, str]]:
        """(def name, YAML path) of each object section, breadth first from the top."""
        seen: dict[str, str] = {self.root_def: ""} if self.root_def else {}
        queue: list[tuple[JsonSchema, str]] = [(self.schema, "")]
        while queue:
            schema, path = queue.pop(0)
            for key, prop in schema.get("properties", {}).items():
                for ref, suffix in _refs(prop):
                    if ref not in seen:
                        seen[ref] = f"{path}{key}{suffix}"
                        queue.append((self.defs.get(ref, {}), f"{path}{key}{suffix}."))
        return [(name, path) for name, path in seen.items() if name != self.root_def]

    def default_of(self, model: type[BaseModel] | None, key: str, prop: JsonSchema) -> str:
        field = _field_by_alias(model, key)
        if field is not None and field.is_required():
            return "**required**"
        if "default" in prop:
            value = prop["default"]
        elif field is not None:
            value = field.get_default(call_default_factory=True)
        else:
            return ""
        if isinstance(value, BaseModel):
            value = {}
        if value is None:
            return "—"
        if self.named_type(prop) in _DURATIONS or (
            self.named_type(_without_null(prop)) in _DURATIONS
        ):
            from e2echeck.config.types import format_duration

            return f"`{format_duration(float(value))}`"
        return f"`{_yaml(value)}`".replace(__version__, "<version>")

    def table(self, schema: JsonSchema, model: type[BaseModel] | None) -> list[str]:
        required = set(schema.get("required", ()))
        lines = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
        for key, prop in schema.get("properties", {}).items():
            default = self.default_of(model, key, prop)
            if not default and key in required:
                default = "**required**"
            description = _cell(str(prop.get("description", "")))
            lines.append(
                f"| `{key}` | {_cell(self.type_of(prop))} | {_cell(default)} | {description} |"
            )
        return lines

    def render(self) -> str:
        out = [f"### Top level {{ #{_ANCHOR_PREFIX}top-level }}", ""]
        out += _paragraph(self.schema.get("description"))
        out += self.table(self.schema, self.root)
        sections = self.order()
        paths = [path for _, path in sections]
        for name, path in sections:
            schema = self.defs.get(name, {})
            heading = f"`{path}`"
            if paths.count(path) > 1:  # e.g. the kinds of a capture
                heading += f" ({self.title_of(name)})"
            out += ["", f"### {heading} {{ #{self.anchor_of(name)} }}", ""]
            out += _paragraph(schema.get("description"))
            if "properties" in schema:
                out += self.table(schema, self.models.get(name))
            else:
                out += [f"Type: {self.type_of(schema)}"]
        out += ["", f"### Value types {{ #{_ANCHOR_PREFIX}value-types }}", ""]
        out += ["| Type | Accepts |", "| --- | --- |"]
        for name, _, description in self.named:
            out.append(f"| {name} | {_cell(description)} |")
        return "\n".join(out)


def _refs(schema: Any, suffix: str = "") -> Iterator[tuple[str, str]]:
    """Each $ref under a property, with the path suffix that reaches it."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        yield schema["$ref"].rsplit("/", 1)[-1], suffix
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, ()):
            yield from _refs(part, suffix)
    if isinstance(schema.get("items"), dict):
        yield from _refs(schema["items"], suffix + "[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _refs(schema["additionalProperties"], suffix + ".<name>")


def _without_null(schema: JsonSchema) -> JsonSchema:
    parts = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    return parts[0] if len(parts) == 1 else schema


def _field_by_alias(model: type[BaseModel] | None, key: str) -> FieldInfo | None:
    if model is None:
        return None
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def _bounds(schema: JsonSchema, low: str, high: str, unit: str) -> str:
    lo, hi = schema.get(low), schema.get(high)
    unit = f" {unit}" if unit else ""
    if low == "minItems" and lo == 1 and hi is None:
        return ", not empty"
    if lo is not None and hi is not None:
        return f", {lo} to {hi}{unit}"
    if lo is not None:
        return f", at least {lo}{unit}" if lo else ""
    if hi is not None:
        return f", at most {hi}{unit}"
    return ""


def _either(words: list[str]) -> str:
    """Words joined as a reader expects: a; a or b; a, b or c."""
    if not words:
        return "null"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _unique(items: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _yaml(value: Any) -> str:
    """A value as it would be written in checks.yaml (flow style)."""
    if isinstance(value, tuple):
        value = list(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=1000, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _paragraph(text: Any) -> list[str]:
    return [" ".join(str(text).split()), ""] if text else []


def model_reference(model: type[BaseModel]) -> str:
    """The reference of any pydantic model, as for checks.yaml."""
    return _Reference(model.model_json_schema(by_alias=True, mode="validation"), model).render()


def config_reference() -> str:
    """Every key of checks.yaml: type, default and description, one table per section."""
    from e2echeck.config.models import Config
    from e2echeck.config.schema import json_schema

    return _Reference(json_schema(), Config).render()


def cli_reference(width: int = 100) -> str:
    """The --help of e2echeck and of each of its commands, as Click prints it."""
    import click
    from click.testing import CliRunner

    from e2echeck.cli import main

    runner = CliRunner()
    out: list[str] = []

    def walk(command: click.Command, words: list[str]) -> None:
        result = runner.invoke(main, [*words, "--help"], prog_name="e2echeck", terminal_width=width)
        if result.exit_code != 0:
            raise RuntimeError(f"e2echeck {' '.join(words)} --help: {result.output}")
        title = " ".join(["e2echeck", *words])
        out.extend([f"### `{title}`", "", "```text", result.output.rstrip(), "```", ""])
        if isinstance(command, click.Group):
            for name in command.list_commands(click.Context(command)):
                sub = command.get_command(click.Context(command), name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*words, name])

    walk(main, [])
    return "\n".join(out).rstrip()


def synopsis(width: int = 88) -> str:
    """Every command with its arguments and options, one usage each (wrapped),
    generated from the Click commands so that none is ever left out."""
    import click

    from e2echeck.cli import main

    out: list[str] = []

    def parameter(param: click.Parameter) -> str | None:
        if isinstance(param, click.Argument):
            if param.metavar:
                return param.metavar
            name = (param.name or "ARG").upper()
            many = "..." if param.nargs == -1 else ""
            return f"{name}{many}" if param.required else f"[{name}]{many}"
        if not isinstance(param, click.Option) or param.hidden:
            return None
        if "--help" in param.opts:
            return None
        flag = "|".join(sorted(param.opts, key=len))
        if param.is_flag or param.count:
            shown = flag
        else:
            if isinstance(param.type, click.Choice):
                value = "|".join(str(choice) for choice in param.type.choices)
            else:
                value = param.metavar or param.type.get_metavar(param, click.Context(main)) or ""
                value = value or param.type.name.upper()
            shown = f"{flag} {value}"
        more = "..." if param.multiple or param.count else ""
        return shown if param.required else f"[{shown}]{more}"

    def usage(words: list[str], command: click.Command) -> None:
        head = " ".join(["e2echeck", *words])
        parts = [p for p in (parameter(x) for x in command.params) if p]
        lines, line = [], head
        for part in parts:
            if len(line) + 1 + len(part) > width:
                lines.append(line)
                line = " " * (len(head) + 1) + part
            else:
                line += " " + part
        lines.append(line)
        out.extend(lines)

    def walk(command: click.Command, words: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(click.Context(command)):
                sub = command.get_command(click.Context(command), name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*words, name])
        else:
            usage(words, command)

    walk(main, [])
    out.append("e2echeck --version")
    return "```\n" + "\n".join(out) + "\n```"
