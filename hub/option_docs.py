"""The options of each protocol as documentation: a Markdown table per protocol, made from the options
models (name, type, default, meaning), which docs/administration.md carries and a test keeps equal.

``python -m hub.option_docs`` prints the tables (here in the hub, which knows every protocol,
``hub`` included).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic.fields import FieldInfo

from harvesters.base import SourceOptions
from harvesters.registry import options_model, protocol_names
from registry.source_options import CommonOptions

_NAMES = {int: "integer", str: "text", float: "number", bool: "true/false"}


def _type_of(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return _type_of(args[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        names = list(dict.fromkeys(_type_of(a) for a in args))
        if "integer" in names and "number" in names:
            names.remove("integer")
        return " or ".join(names)
    if origin is list:
        return f"list of {_type_of(args[0])}"
    if origin is dict:
        return f"object of {_type_of(args[1])}"
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(field: FieldInfo) -> str:
    low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    if low is not None and high is not None:
        return f" {low}-{high:,}".replace(",", " ") if high >= 10_000 else f" {low}-{high}"
    return f" >= {low}" if low is not None else ""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default is None or field.default == {}:
        return "-"
    if isinstance(field.default, bool):
        return f"`{str(field.default).lower()}`"
    return f"`{field.default}`"


def options_table(model: type[SourceOptions], skip: frozenset[str] = frozenset()) -> str:
    """The model's own options (those of ``skip`` left out) as a Markdown table."""
    rows = ["| option | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        kind = _type_of(field.annotation) + _bounds(field)
        meaning = " ".join((field.description or "").split()).replace("``", "`")
        rows.append(f"| `{name}` | {kind} | {_default(field)} | {meaning} |")
    return "\n".join(rows)


def options_markdown() -> str:
    """Every protocol's options, then those every source may have, as Markdown."""
    common = frozenset(CommonOptions.model_fields)
    parts = ["Every source may have these options, whatever its protocol:", "", options_table(CommonOptions)]
    models: dict[type[SourceOptions], list[str]] = {}
    for protocol in protocol_names():
        models.setdefault(options_model(protocol), []).append(f"`{protocol}`")
    for model, protocols in models.items():
        parts += ["", f"{' and '.join(protocols)}:", "", options_table(model, common)]
    return "\n".join(parts)


if __name__ == "__main__":
    print(options_markdown())
