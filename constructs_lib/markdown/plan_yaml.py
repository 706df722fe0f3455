"""Plan files as YAML text with comments: what ``infraplan import`` writes where it cannot keep a file verbatim.

Block style, keys in the order given, one comment per key at the end of its line; scalars quoted
where YAML 1.1 or 1.2 could read them as something else (PyYAML's rules quote every string that
looks like a number, boolean or date), so the plan loader reads back exactly the value written.
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


def scalar(value: Any) -> str:
    """One value in flow style on one line (a scalar, or a list or mapping of scalars)."""
    if isinstance(value, str) and not value:
        return '""'
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1_000_000, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _flat(value: Any) -> bool:
    """Whether ``value`` goes on its key's line: a scalar, an empty collection, or a list of scalars."""
    if isinstance(value, dict):
        return not value
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def _with_comment(line: str, comment: str | None) -> str:
    if not comment:
        return line
    return f"{line}  # {' '.join(comment.split())}"


def _mapping(data: dict, path: Path_, indent: int, comments: dict[Path_, str]) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for key, value in data.items():
        here = (*path, key)
        head = f"{pad}{scalar(key)}:"
        if _flat(value):
            lines.append(_with_comment(f"{head} {scalar(value)}", comments.get(here)))
        elif isinstance(value, dict):
            lines.append(_with_comment(head, comments.get(here)))
            lines += _mapping(value, here, indent + 2, comments)
        else:
            lines.append(_with_comment(head, comments.get(here)))
            lines += _sequence(value, here, indent + 2, comments)
    return lines


def _sequence(items: list, path: Path_, indent: int, comments: dict[Path_, str]) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for i, item in enumerate(items):
        here = (*path, i)
        if isinstance(item, dict) and item:
            body = _mapping(item, here, indent + 2, comments)
            body[0] = f"{pad}- {body[0][indent + 2 :]}"
            lines += body
        elif isinstance(item, list) and item:
            lines.append(f"{pad}-")
            lines += _sequence(item, here, indent + 2, comments)
        else:
            lines.append(_with_comment(f"{pad}- {scalar(item)}", comments.get(here)))
    return lines


def dump(data: dict, comments: dict[Path_, str] | None = None, header: str = "") -> str:
    """``data`` as a YAML document, ``header`` (lines, each starting with '# ') on top."""
    lines = _mapping(data, (), 0, comments or {})
    return header + "\n".join(lines) + "\n"
