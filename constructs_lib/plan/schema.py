"""The JSON Schema of each plan file kind, and the field reference (docs/plan-reference.md), from the plan models.

Both come from the pydantic models that ``validate`` reads the files with, so neither can drift
from them. The schemas are JSON Schema draft-07, the newest draft yaml-language-server (the YAML
support of VS Code and most editors) implements: ``definitions`` rather than ``$defs``, and a
``$ref`` with annotations beside it wrapped in ``allOf`` (draft-07 ignores a ``$ref``'s siblings).

A schema checks each file alone: what ``validate`` checks across files (unique names, CIDRs that
overlap, quotas against the scale, the EKS support calendar of the day) stays ``validate``'s. A
value still marked ``NEEDS CLARIFICATION`` is flagged where the field's type excludes it, and
``validate`` lists every one.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from .environment import EnvironmentPlan
from .platform import PlatformPlan
from .tenant import TenantPlan

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# kind -> (model, the files it describes, the schema's file name)
KINDS: dict[str, tuple[type[BaseModel], str, str]] = {
    "platform": (PlatformPlan, "platform.yaml", "platform.schema.json"),
    "environment": (EnvironmentPlan, "<env>.yaml", "environment.schema.json"),
    "tenant": (TenantPlan, "tenants/<tenant>.yaml", "tenant.schema.json"),
}


class _PlanSchema(GenerateJsonSchema):
    """pydantic's generator without the titles it makes up from field names ("Repo Url"):
    a field's schema keeps its type's title (EditorSchema: "DNS-1123 label") and its description."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def get_default_value(self, schema: Any) -> Any:
        """A factory's default too (``default_factory=list``): editors complete it, the reference shows it."""
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            return factory()
        return super().get_default_value(schema)


def _draft07(node: Any) -> Any:
    """``node`` with every ``$ref`` that has siblings wrapped in ``allOf`` (draft-07 ignores them otherwise)."""
    if isinstance(node, list):
        return [_draft07(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _draft07(v) for k, v in node.items()}
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        return {"allOf": [{"$ref": ref}], **out}
    return out


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft-07) of one plan file kind: ``platform``, ``environment`` or ``tenant``."""
    model, files, _ = KINDS[kind]
    generated = model.model_json_schema(ref_template="#/definitions/{model}", schema_generator=_PlanSchema, mode="validation")
    definitions = generated.pop("$defs", {})
    body = _draft07(generated)
    body.pop("title", None)
    schema: dict[str, Any] = {
        "$schema": DRAFT_07,
        "title": f"infraplan {files}",
        **body,
    }
    if definitions:
        schema["definitions"] = {name: _draft07(d) for name, d in sorted(definitions.items())}
    return schema


def schema_files() -> dict[str, str]:
    """Each kind's schema file name and text (deterministic: same models, same bytes)."""
    return {file: json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n" for kind, (_, _, file) in KINDS.items()}


# --- The field reference (docs/plan-reference.md) ---------------------------------------------

REFERENCE_COMMAND = "infraplan schema --markdown docs/plan-reference.md"


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``node`` with a wrapped ``$ref`` replaced by its definition (the node's own annotations kept)."""
    refs = [part["$ref"] for part in node.get("allOf", []) if "$ref" in part]
    if "$ref" in node:
        refs.append(node["$ref"])
    if not refs:
        return node
    target = root["definitions"][refs[0].rsplit("/", 1)[-1]]
    return {**target, **{k: v for k, v in node.items() if k not in ("allOf", "$ref")}}


def _optional(node: dict[str, Any]) -> dict[str, Any] | None:
    """X of ``anyOf: [X, null]`` (None if ``node`` is no such union)."""
    options = node.get("anyOf", [])
    rest = [o for o in options if o.get("type") != "null"]
    if len(options) == 2 and len(rest) == 1:
        return rest[0]
    return None


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "`" + text.replace("|", "\\|") + "`"


def _type(node: dict[str, Any], root: dict[str, Any]) -> str:
    """A person's reading of a schema node: "DNS-1123 label", "list of string", "`a` \\| `b`"."""
    if "title" in node and "anyOf" in node:  # an optional field's own title (json_schema_extra)
        return str(node["title"])
    if (inner := _optional(node)) is not None:
        return _type(inner, root)
    node = _resolve(node, root)
    if "anyOf" in node:
        return " or ".join(_type(o, root) for o in node["anyOf"])
    if "properties" in node:
        return "mapping (fields below)"
    if "title" in node:
        return str(node["title"])
    if "enum" in node:
        return " \\| ".join(_code(v) for v in node["enum"])
    kind = node.get("type")
    if kind == "array":
        text = f"list of {_type(node.get('items', {}), root)}"
        if node.get("minItems"):
            text += f" (at least {node['minItems']})"
        if "maxItems" in node:
            text += f" (at most {node['maxItems']})"
        return text
    if kind == "object":
        values = node.get("additionalProperties", True)
        keys = node.get("propertyNames", {}).get("enum")
        key_text = f" ({', '.join(_code(k) for k in keys)})" if keys else ""
        if values is True:
            return f"mapping{key_text} of any values"
        return f"mapping{key_text} of {_type(values, root)}"
    bounds = []
    for word, key in (("≥", "minimum"), (">", "exclusiveMinimum"), ("≤", "maximum"), ("<", "exclusiveMaximum")):
        if key in node:
            bounds.append(f"{word} {node[key]}")
    for word, key in (("at least", "minLength"), ("at most", "maxLength")):
        if key in node:
            bounds.append(f"{word} {node[key]} characters")
    if "pattern" in node:
        bounds.append(f"matching {_code(node['pattern'])}")
    text = {"integer": "whole number", "number": "number", "boolean": "`true` \\| `false`", "string": "text"}.get(str(kind), str(kind or "any"))
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _default(name: str, required: list[str], node: dict[str, Any]) -> str:
    if name in required:
        return "**required**"
    if "default" not in node:
        return "not set"
    value = node["default"]
    if value is None:
        return "not set"
    if isinstance(value, dict) and value and "properties" in node:
        return "its fields' defaults"
    return _code(value)


def _rows(node: dict[str, Any], path: str, root: dict[str, Any]) -> list[str]:
    """A table row per field below ``node``, then the rows of each field that has fields of its own."""
    node = _resolve(node, root)
    required = node.get("required", [])
    rows = []
    for name, field in node.get("properties", {}).items():
        field_path = f"{path}.{name}" if path else name
        inner = _resolve(_optional(field) or field, root)
        description = " ".join(str(field.get("description") or inner.get("description") or "").split()).replace("|", "\\|")
        rows.append(f"| `{field_path}` | {_type(field, root)} | {_default(name, required, {**inner, **field})} | {description} |")
        if "properties" in inner:
            rows += _rows(inner, field_path, root)
        elif inner.get("type") == "array" and "properties" in _resolve(inner.get("items", {}), root):
            rows += _rows(inner["items"], f"{field_path}[]", root)
        elif inner.get("type") == "object" and isinstance(inner.get("additionalProperties"), dict):
            values = _resolve(_optional(inner["additionalProperties"]) or inner["additionalProperties"], root)
            if "properties" in values:
                rows += _rows(values, f"{field_path}.<name>", root)
    return rows


def reference_markdown() -> str:
    """docs/plan-reference.md: every field of every plan file kind, its type, default and effect."""
    out = [
        "# Plan reference",
        "",
        f"<!-- Generated from the plan models (constructs_lib/plan/) by `{REFERENCE_COMMAND}`; do not edit. -->",
        "",
        "Every field of the plan files, as `infraplan validate` reads them: its type, its default",
        "(**required** where there is none) and what it changes. The same models give the JSON Schemas",
        "of `infraplan schema` (editor completion: docs/plan-schema.md). A field `a.b` is `b` inside the",
        "mapping `a`; `a[].b` is `b` in each item of the list `a`; `a.<name>.b` is `b` under each key of `a`.",
        "Rules across files (unique names, overlapping CIDRs, quotas against `scale`, the EKS support",
        "calendar) are checked by `infraplan validate`, not listed here.",
    ]
    for kind, (_, files, _) in KINDS.items():
        schema = json_schema(kind)
        out += ["", f"## {files}", ""]
        if description := schema.get("description"):
            out += [" ".join(str(description).split()), ""]
        out += ["| field | type | default | effect |", "|---|---|---|---|", *_rows(schema, "", schema)]
    return "\n".join(out) + "\n"
