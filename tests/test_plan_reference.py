"""docs/plan-reference.md: every field of the plan files, its type, default and effect, generated
from the plan models (issue #14). The committed copy must be what the models give today, and
every field must say what it does."""

from __future__ import annotations

from typing import Any

from conftest import ROOT
from constructs_lib.plan.schema import KINDS, REFERENCE_COMMAND, json_schema, reference_markdown
from stacks.cli import main

REFERENCE = ROOT / "docs" / "plan-reference.md"


def test_the_committed_reference_is_what_the_models_give() -> None:
    committed = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    assert committed == reference_markdown(), (
        f"docs/plan-reference.md differs from the plan models (a field, type, default or description changed): "
        f"regenerate it with `.venv/bin/{REFERENCE_COMMAND}` and commit it with the model change"
    )


def _undescribed(node: Any, root: dict[str, Any], path: str, seen: set[str]) -> list[str]:
    """Fields below ``node`` with no description of their own."""
    if not isinstance(node, dict):
        return []
    found = []
    for name, field in node.get("properties", {}).items():
        field_path = f"{path}.{name}" if path else name
        if not field.get("description"):
            found.append(field_path)
        found += _undescribed(field, root, field_path, seen)
    for key in ("items", "additionalProperties"):
        found += _undescribed(node.get(key), root, f"{path}[]" if key == "items" else f"{path}.<name>", seen)
    for option in node.get("anyOf", []) + node.get("allOf", []):
        found += _undescribed(option, root, path, seen)
    ref = node.get("$ref")
    if ref and ref not in seen:
        found += _undescribed(root["definitions"][ref.rsplit("/", 1)[-1]], root, path, seen | {ref})
    return found


def test_every_field_says_what_it_does() -> None:
    missing = {files: _undescribed(schema, schema, "", set()) for kind, (_, files, _) in KINDS.items() if (schema := json_schema(kind))}
    assert not any(missing.values()), (
        "fields without a description (Field(description=...) in constructs_lib/plan/: a short sentence saying its effect): "
        + "; ".join(f"{files}: {', '.join(paths)}" for files, paths in missing.items() if paths)
    )


def _row(markdown: str, field: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| `{field}` |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_the_reference_lists_nested_fields_with_their_type_and_default() -> None:
    text = reference_markdown()
    assert text.index("## platform.yaml") < text.index("## <env>.yaml") < text.index("## tenants/<tenant>.yaml")
    assert _row(text, "name")[1:3] == ["DNS-1123 label", "**required**"]
    assert _row(text, "gitops.target_revision")[1:3] == ["text", "`main`"]
    assert _row(text, "cluster.node_groups[].min_size")[1:3] == ["whole number (≥ 0, ≤ 450)", "**required**"]
    assert _row(text, "apps[].cpu")[1:3] == ["CPU quantity", "`250m`"]
    assert _row(text, "environments.<name>.access_principals.developers")[1:3] == ["list of text", "`[]`"]
    assert _row(text, "database.multi_az")[2] == "not set"


def test_infraplan_schema_markdown_writes_the_reference(tmp_path, capsys) -> None:
    out = tmp_path / "reference.md"
    assert main(["schema", "--markdown", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == reference_markdown()
    assert not (tmp_path / "schema").exists()  # --markdown alone writes no schemas
    mine = tmp_path / "mine.md"
    mine.write_text("# My notes\n")
    assert main(["schema", "--markdown", str(mine)]) == 2
    assert mine.read_text() == "# My notes\n"
