"""Read a YAML plan file into plain data, remembering the line of every field.

Errors later in the pipeline (pydantic, cross-file checks) only know a field
path such as ``("cluster", "node_groups", 0, "min_size")``; :class:`SourceMap`
turns that path back into a line of the file the user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PlanIssue

FieldPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Lines (1-based) of the fields of one file, by field path."""

    file: str
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


@dataclass
class YamlDocument:
    file: str
    data: Any
    source: SourceMap


def format_path(path: FieldPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, source: SourceMap):
        self.loader = loader
        self.source = source
        self.issues: list[PlanIssue] = []

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    key = str(key)
                if key in out:
                    self.issues.append(
                        PlanIssue(
                            self.source.file,
                            key_node.start_mark.line + 1,
                            format_path(path + (key,)),
                            "this key appears twice in the same mapping",
                            "keep one of the two; YAML would silently use the last",
                        )
                    )
                child = path + (key,)
                self.source.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def load_yaml_file(path: Path, display_name: str) -> tuple[YamlDocument | None, list[PlanIssue]]:
    """Load one plan file. Never raises for bad input: returns the issues instead."""
    source = SourceMap(display_name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [PlanIssue(display_name, None, "", f"cannot read the file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [
            PlanIssue(
                display_name,
                None,
                "",
                f"the file is not UTF-8 text (byte {exc.start} cannot be decoded)",
                "plan files are YAML text; is this the right file?",
            )
        ]
    if "\x00" in text:
        return None, [PlanIssue(display_name, None, "", "the file contains NUL bytes: it is not YAML text")]
    if not text.strip():
        return None, [PlanIssue(display_name, 1, "", "the file is empty", "a plan file is a YAML mapping")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or "malformed YAML"
        return None, [PlanIssue(display_name, line, "", f"malformed YAML: {problem}", "check indentation and quoting")]
    except yaml.YAMLError as exc:
        return None, [PlanIssue(display_name, None, "", f"malformed YAML: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return None, [PlanIssue(display_name, 1, "", "the file is empty: it holds no YAML document", "a plan file is a YAML mapping")]
    builder = _Builder(yaml.SafeLoader(""), source)
    try:
        data = builder.build(node, ())
    except yaml.YAMLError as exc:
        return None, [PlanIssue(display_name, None, "", f"malformed YAML: {exc}")]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return None, [
            PlanIssue(
                display_name,
                node.start_mark.line + 1,
                "",
                f"the file holds {kind}, but a plan file must be a mapping of fields",
                "start the file with `name: ...` and the other fields at the top level",
            )
        ]
    return YamlDocument(display_name, data, source), builder.issues
