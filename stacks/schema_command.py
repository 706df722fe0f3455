"""``infraplan schema``: the plan files' JSON Schemas for editors, and the field reference.

``--out DIR`` (default ``schema``) writes ``platform.schema.json``, ``environment.schema.json`` and
``tenant.schema.json``; ``--markdown FILE`` writes the field reference (``-``: standard output).
It replaces only files it wrote before: a file of that name that is no infraplan schema (or
reference) is refused, never overwritten.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from constructs_lib.plan.schema import reference_markdown, schema_files

DEFAULT_DIR = Path("schema")
REFERENCE_TITLE = "# Plan reference\n"


class SchemaCommandError(Exception):
    pass


def _ours(path: Path, is_ours) -> None:
    """Refuse to replace ``path`` unless it is absent or was written by this command."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() and not path.is_symlink() else None
        if text is not None and is_ours(text):
            return
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    raise SchemaCommandError(f"{path} exists and was not written by infraplan schema; nothing was written (move it away, or choose another place)")


def _is_schema(text: str) -> bool:
    data = json.loads(text)
    return isinstance(data, dict) and str(data.get("title", "")).startswith("infraplan ")


def write_schemas(folder: Path) -> list[Path]:
    files = schema_files()
    for name in files:
        _ours(folder / name, _is_schema)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]


def write_reference(path: Path) -> None:
    _ours(path, lambda text: text.startswith(REFERENCE_TITLE))
    path.write_text(reference_markdown(), encoding="utf-8")


def cmd_schema(args: argparse.Namespace) -> int:
    from .cli import console, errors

    try:
        if args.markdown is not None:
            if str(args.markdown) == "-":
                console.file.write(reference_markdown())
            else:
                write_reference(args.markdown)
                errors.print(f"wrote {args.markdown}", markup=False)
        if args.out is not None or args.markdown is None:
            for p in write_schemas(args.out or DEFAULT_DIR):
                console.print(f"  wrote {p}", markup=False)
    except (SchemaCommandError, OSError) as exc:
        errors.print(f"infraplan schema: {exc}", markup=False)
        return 2
    return 0
