"""Read a YAML plan file into plain data, remembering the line of every field.

Errors later in the pipeline (pydantic, cross-file checks) only know a field
path such as ``("cluster", "node_groups", 0, "min_size")``; :class:`SourceMap`
turns that path back into a line of the file the user wrote, and remembers how
each scalar was written so a type error can quote it.

A plan file may come from anyone (a tenant's pull request), so reading is
bounded: only regular files of at most :data:`MAX_FILE_BYTES`, at most
:data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` values once aliases
are expanded. The data is built from PyYAML's event stream by an iterative
composer (PyYAML's own composer recurses once per level), and plain scalars are
resolved by the YAML 1.2 core schema: ``yes``, ``on``, ``010``, ``1:20`` and
``2024-01-01`` are the strings written, never a boolean, an octal number, a
base-60 number or a date. Such scalars are noted as ambiguous (YAML 1.1 tools
read them otherwise) so that the loader can refuse them where a number or a
boolean is expected.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PlanIssue

FieldPath = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024
"""A plan file is a few kilobytes; 1 MiB leaves room for any real one and bounds the work."""
MAX_DEPTH = 64
"""Nesting levels (mappings and lists); plans use about 8, Helm value overlays a few more."""
MAX_NODES = 100_000
"""Values in one file once every alias is expanded (the example's largest file has about 200)."""

_CORE = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class ScalarNote:
    """How a scalar was written: its text, what it was read as, and whether it was quoted.

    ``kind`` is ``string``, ``number``, ``boolean`` or ``null``, or, for a plain scalar
    read as a string that YAML 1.1 reads otherwise, one of ``yaml11-bool``, ``leading-zero``,
    ``radix``, ``sexagesimal``, ``date``, ``underscore``."""

    text: str
    kind: str
    quoted: bool = False

    @property
    def ambiguous(self) -> bool:
        return self.kind in AMBIGUOUS


@dataclass
class SourceMap:
    """Lines (1-based) of the fields of one file, by field path, and how each scalar was written."""

    file: str
    lines: dict[FieldPath, int] = field(default_factory=dict)
    scalars: dict[FieldPath, ScalarNote] = field(default_factory=dict)

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


# --- scalars: the YAML 1.2 core schema, and what YAML 1.1 would have made of them ---------------

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
YAML11_TRUE = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
YAML11_FALSE = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
# [0-9], never \d: Unicode digits are not YAML digits.
_INT = re.compile(r"[-+]?[0-9]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+")
_RADIX = re.compile(r"[-+]?0(o[0-7]+|x[0-9a-fA-F]+|b[01]+)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_UNDERSCORE = re.compile(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")
_DATE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"([Tt]|[ \t]+)?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?"
)
AMBIGUOUS = ("yaml11-bool", "leading-zero", "radix", "sexagesimal", "date", "underscore")


def resolve_plain(text: str) -> tuple[Any, str]:
    """A plain scalar's value by the YAML 1.2 core schema, and its kind (see :class:`ScalarNote`)."""
    if len(text) > 1000:  # no number is that long (and int() refuses over 4300 digits)
        return text, "string"
    if text in _NULLS:
        return None, "null"
    if text in _TRUE or text in _FALSE:
        return text in _TRUE, "boolean"
    if text in YAML11_TRUE or text in YAML11_FALSE:
        return text, "yaml11-bool"
    if _LEADING_ZERO.fullmatch(text):
        return text, "leading-zero"
    if _INT.fullmatch(text):
        return int(text), "number"
    if _RADIX.fullmatch(text):
        return text, "radix"
    if _FLOAT.fullmatch(text):
        return float(text), "number"
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf"), "number"
    if _NAN.fullmatch(text):
        return float("nan"), "number"
    if "_" in text and _UNDERSCORE.fullmatch(text):
        return text, "underscore"
    if _SEXAGESIMAL.fullmatch(text):
        return text, "sexagesimal"
    if _DATE.fullmatch(text):
        return text, "date"
    return text, "string"


def _signed(text: str, base: int) -> int:
    return -int(text.lstrip("+-"), base) if text.startswith("-") else int(text.lstrip("+-"), base)


def readings(note: ScalarNote) -> tuple[str, str]:
    """What a YAML 1.2 reader and a YAML 1.1 reader (PyYAML, Helm's Go YAML) make of an
    ambiguous scalar, in words."""
    text = note.text
    if note.kind == "yaml11-bool":
        return "a string", "true" if text in YAML11_TRUE else "false"
    if note.kind == "leading-zero":
        octal = re.fullmatch(r"[-+]?[0-7]+", text)
        return str(_signed(text, 10)), f"the octal number {_signed(text, 8)}" if octal else "a string"
    if note.kind == "radix":
        body = text.lstrip("+-")
        value = ("-" if text.startswith("-") else "") + str(int(body[2:], {"o": 8, "x": 16, "b": 2}[body[1]]))
        if body[1] == "x":  # hexadecimal in both
            return value, value
        return (value, "a string") if body[1] == "o" else ("a string", value)
    if note.kind == "underscore":
        return "a string", f"the number {decimal_of(note)}"
    if note.kind == "sexagesimal":
        whole, _, fraction = text.lstrip("+-").partition(".")
        value = 0
        for part in whole.replace("_", "").split(":"):
            value = value * 60 + int(part)
        sign = "-" if text.startswith("-") else ""
        return "a string", f"the base-60 number {sign}{value}{'.' + fraction if fraction else ''}"
    if note.kind == "date":
        return "a string", "a date"
    return "a string", "a string"


def yaml11_reading(note: ScalarNote) -> str:
    """What a YAML 1.1 reader makes of an ambiguous scalar, in words."""
    return readings(note)[1]


def decimal_of(note: ScalarNote) -> str | None:
    """The decimal number the writer of an ambiguous number most likely meant, if there is one."""
    text = note.text
    if note.kind == "leading-zero":
        return str(_signed(text, 10))
    if note.kind == "underscore":
        digits = text.replace("_", "")
        return str(int(digits)) if re.fullmatch(r"[-+]?[0-9]+", digits) else digits
    if note.kind == "radix":
        return readings(note)[0] if readings(note)[0] != "a string" else readings(note)[1]
    return None


# --- reading the bytes: regular files only, bounded ---------------------------------------------


def _describe_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_error(path: Path, exc: OSError) -> tuple[str, str]:
    """Message and hint for a plan path that cannot be opened or listed."""
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"is a symlink to '{os.readlink(path)}', which does not exist", "fix the link or remove it"
    if exc.errno == errno.ELOOP:
        return "is a symlink that loops (it leads back to itself)", "fix the link or remove it"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied", "make it readable by the user running infraplan"
    if exc.errno == errno.ENOENT:
        return "does not exist (it disappeared while the plan was read)", ""
    return f"cannot be read: {exc.strerror or exc}", ""


def _read_regular_file(path: Path, display_name: str) -> bytes | PlanIssue:
    """The bytes of ``path`` if it is a regular file of at most MAX_FILE_BYTES.

    Symlinks are followed on purpose (a plan may share a file with another plan); what they
    lead to must be a regular file. The type is checked before opening, so a FIFO or a device
    is never opened, and again on the open descriptor (O_NONBLOCK: a FIFO swapped in between
    cannot block the open), so nothing but a regular file is ever read."""

    def refuse(message: str, hint: str = "") -> PlanIssue:
        return PlanIssue(display_name, None, "", message, hint)

    def not_regular(mode: int) -> PlanIssue:
        return refuse(
            f"is {_describe_mode(mode)}, not a regular file" + (" (through a symlink)" if path.is_symlink() else ""),
            "a plan file is a regular YAML file; remove it or replace it with one",
        )

    try:
        st = os.stat(path)
    except OSError as exc:
        return refuse(*open_error(path, exc))
    if not stat.S_ISREG(st.st_mode):
        return not_regular(st.st_mode)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return refuse(*open_error(path, exc))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return not_regular(st.st_mode)
        too_big = refuse(
            f"is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB ({max(st.st_size, MAX_FILE_BYTES + 1):,} bytes or more); "
            "a plan file is a few kilobytes",
            "is this the right file? split a large plan into one file per environment and per tenant",
        )
        if st.st_size > MAX_FILE_BYTES:
            return too_big
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            return too_big
        return b"".join(chunks)
    except OSError as exc:
        return refuse(*open_error(path, exc))
    finally:
        os.close(fd)


# --- composing: events to data, iteratively and bounded -----------------------------------------


class _Stop(Exception):
    """The file cannot be read further; the issue says why."""

    def __init__(self, issue: PlanIssue):
        self.issue = issue


@dataclass
class _Frame:
    container: dict[str, Any] | list[Any]
    path: FieldPath
    anchor: str | None
    line: int
    nodes_before: int
    notes_before: int
    key: str | None = None
    key_set: bool = False
    child_height: int = 0


@dataclass
class _Anchor:
    value: Any
    size: int
    notes: list[tuple[FieldPath, ScalarNote]]
    line: int
    height: int
    """Levels of nesting in the value (0 for a scalar): an alias adds them where it is used."""


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Composer:
    """Builds plain data (dict, list, str, int, float, bool, None) from PyYAML events."""

    def __init__(self, text: str, source: SourceMap):
        self.text = text
        self.source = source
        self.file = source.file
        self.issues: list[PlanIssue] = []
        self.frames: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.notes: list[tuple[FieldPath, ScalarNote]] = []
        self.nodes = 0
        self.root: Any = None
        self.has_root = False

    def stop(self, line: int | None, message: str, hint: str = "", path: FieldPath = ()) -> _Stop:
        return _Stop(PlanIssue(self.file, line, format_path(path), message, hint))

    def compose(self, events: Any) -> Any:
        documents = 0
        for event in events:
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self._second_document(event, line)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self._open(event, line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self._close()
            elif isinstance(event, yaml.ScalarEvent):
                self._scalar(event, line)
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event, line)
        return self.root

    def _second_document(self, event: yaml.DocumentStartEvent, line: int | None) -> _Stop:
        if event.explicit:
            return self.stop(
                line,
                f"a second YAML document starts at line {line} (`---`)",
                f"a plan file holds one YAML document; remove the second `---` at line {line} "
                "(and move what follows into this document or into a file of its own)",
            )
        return self.stop(
            line,
            f"more YAML follows the end of the document (`...`) at line {line}",
            "a plan file holds one YAML document; remove the `...` line above it",
        )

    def _position(self) -> FieldPath:
        """The path of the value node now starting (its key, if any, is already read)."""
        if not self.frames:
            return ()
        top = self.frames[-1]
        if isinstance(top.container, list):
            return top.path + (len(top.container),)
        assert top.key is not None
        return top.path + (top.key,)

    def _count(self, added: int, line: int | None, alias: str | None = None) -> None:
        self.nodes += added
        if self.nodes > MAX_NODES:
            if alias:
                raise self.stop(
                    line,
                    f"the file expands to more than {MAX_NODES:,} values: the alias *{alias} repeats "
                    f"a node of {added:,} values (an alias bomb?)",
                    "use aliases for ordinary reuse only; write the values out",
                )
            raise self.stop(line, f"the file holds more than {MAX_NODES:,} values; a plan file holds a few hundred", "is this the right file?")

    def _place(self, value: Any, path: FieldPath, line: int | None, height: int = 0) -> None:
        if line is not None:
            self.source.lines.setdefault(path, line)
        if not self.frames:
            self.root, self.has_root = value, True
            return
        top = self.frames[-1]
        top.child_height = max(top.child_height, height)
        if isinstance(top.container, list):
            top.container.append(value)
        else:
            assert top.key is not None
            top.container[top.key] = value
            top.key, top.key_set = None, False

    def _key(self, event: yaml.Event, line: int | None) -> None:
        top = self.frames[-1]
        if not isinstance(event, yaml.ScalarEvent):
            what = "an alias" if isinstance(event, yaml.AliasEvent) else "a mapping or a list"
            raise self.stop(line, f"a mapping key is {what}", "write keys as plain names: `name: value`", top.path)
        key = event.value
        if not event.style and key == "<<" and event.tag is None:
            raise self.stop(
                line,
                "YAML merge keys (`<<: *anchor`) are not supported in a plan",
                "write the fields out, or use an alias for a whole value (`key: *anchor`)",
                top.path,
            )
        assert isinstance(top.container, dict)
        path = top.path + (key,)
        kind = resolve_plain(key)[1] if not event.style and event.tag is None else "string"
        if kind in ("number", "boolean", "null"):
            # Every mapping of a plan (fields, tags, labels, Helm values) is keyed by text; a key
            # that YAML reads as a number or boolean is kept as written but must be quoted, as
            # the same scalar would have to be as a value.
            self.issues.append(
                PlanIssue(
                    self.file,
                    line,
                    format_path(path),
                    f"a key must be text: read {key or '~'} ({'a number' if kind == 'number' else 'a boolean' if kind == 'boolean' else 'null'})",
                    f'quote it: "{key}"',
                )
            )
        elif kind in AMBIGUOUS:
            note = ScalarNote(key, kind)
            self.issues.append(
                PlanIssue(
                    self.file,
                    line,
                    format_path(path),
                    f"a key must be text: {key} is ambiguous, YAML 1.1 (PyYAML, Helm) reads it as {yaml11_reading(note)}",
                    f'quote it: "{key}"',
                )
            )
        if key in top.container:
            self.issues.append(
                PlanIssue(
                    self.file,
                    line,
                    format_path(path),
                    "this key appears twice in the same mapping",
                    "keep one of the two; YAML would silently use the last",
                )
            )
        if line is not None:
            self.source.lines[path] = line
        top.key, top.key_set = key, True
        self._count(1, line)

    def _check_collection_tag(self, tag: str | None, expected: str, line: int | None, path: FieldPath) -> None:
        if tag not in (None, "!", _CORE + expected):
            raise self.stop(line, f"the tag {_tag_name(tag)} is not supported in a plan", "remove the tag; plan files hold plain YAML values", path)

    def _open(self, event: yaml.CollectionStartEvent, line: int | None) -> None:
        if self.frames and isinstance(self.frames[-1].container, dict) and not self.frames[-1].key_set:
            self._key(event, line)
        path = self._position()
        if len(self.frames) >= MAX_DEPTH:
            raise self.stop(
                line,
                f"the data is nested more than {MAX_DEPTH} levels deep (at {format_path(path[:4])}…)",
                "a plan nests a few levels; is this the right file?",
            )
        is_map = isinstance(event, yaml.MappingStartEvent)
        self._check_collection_tag(event.tag, "map" if is_map else "seq", line, path)
        self._count(1, line)
        if line is not None:
            self.source.lines.setdefault(path, line)
        self.frames.append(_Frame({} if is_map else [], path, event.anchor, line or 0, self.nodes - 1, len(self.notes)))

    def _close(self) -> None:
        frame = self.frames.pop()
        if frame.anchor is not None:
            depth = len(frame.path)
            self.anchors[frame.anchor] = _Anchor(
                frame.container,
                self.nodes - frame.nodes_before,
                [(p[depth:], n) for p, n in self.notes[frame.notes_before :]],
                frame.line,
                frame.child_height + 1,
            )
        self._place(frame.container, frame.path, None, frame.child_height + 1)

    def _note(self, path: FieldPath, note: ScalarNote) -> None:
        self.source.scalars[path] = note
        self.notes.append((path, note))

    def _scalar(self, event: yaml.ScalarEvent, line: int | None) -> None:
        if self.frames and isinstance(self.frames[-1].container, dict) and not self.frames[-1].key_set:
            self._key(event, line)
            return
        path = self._position()
        value, note = self._resolve(event, line, path)
        self._count(1, line)
        self._note(path, note)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, [((), note)], line or 0, 0)
        self._place(value, path, line)

    def _resolve(self, event: yaml.ScalarEvent, line: int | None, path: FieldPath) -> tuple[Any, ScalarNote]:
        text, tag = event.value, event.tag
        quoted = bool(event.style)  # plain: None from PyYAML's parser, '' from libyaml's
        if tag in (None, "!") and (quoted or tag == "!"):
            return text, ScalarNote(text, "string", quoted=True)
        if tag is None:
            value, kind = resolve_plain(text)
            return value, ScalarNote(text, kind)
        if tag == _CORE + "str":
            return text, ScalarNote(text, "string", quoted=True)
        wanted = {"int": "number", "float": "number", "bool": "boolean", "null": "null"}.get(tag[len(_CORE) :] if tag.startswith(_CORE) else "")
        if wanted is None:
            raise self.stop(line, f"the tag {_tag_name(tag)} is not supported in a plan", "remove the tag; plan files hold plain YAML values", path)
        value, kind = resolve_plain(text)
        if kind != wanted or (tag == _CORE + "int" and not isinstance(value, int)):
            raise self.stop(line, f"'{text}' is not a valid {_tag_name(tag)}", "remove the tag, or write a value of that type", path)
        if tag == _CORE + "float" and isinstance(value, int):
            value = float(value)
        return value, ScalarNote(text, kind)

    def _alias(self, event: yaml.AliasEvent, line: int | None) -> None:
        if self.frames and isinstance(self.frames[-1].container, dict) and not self.frames[-1].key_set:
            self._key(event, line)
        path = self._position()
        name = event.anchor
        open_frame = next((f for f in self.frames if f.anchor == name), None)
        if open_frame is not None:
            raise self.stop(
                line,
                f"the alias *{name} is inside the node it names (&{name} at line {open_frame.line}): that makes an endless structure",
                "a plan holds no recursive data; write the value out",
                path,
            )
        anchor = self.anchors.get(name)
        if anchor is None:
            raise self.stop(line, f"the alias *{name} names no anchor defined above it", f"define &{name} on a value before this line, or write the value out", path)
        if len(self.frames) + anchor.height > MAX_DEPTH:
            raise self.stop(
                line,
                f"the data is nested more than {MAX_DEPTH} levels deep through the alias *{name} (at {format_path(path[:4])}…)",
                "use aliases for ordinary reuse only; write the values out",
            )
        self._count(anchor.size, line, alias=name)
        for rel, note in anchor.notes:
            self._note(path + rel, note)
        self._place(anchor.value, path, line, anchor.height)


# --- malformed YAML: say what is wrong -----------------------------------------------------------


def _malformed(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str, str]:
    """Line, message and hint for a YAML syntax error, naming the likely mistake."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or "malformed YAML"
    context = exc.context or ""
    lines = text.splitlines()
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    found = (
        _malformed_token(problem, context, line, context_line)
        or _misplaced_mapping_value(exc, problem, lines, line)
        or _malformed_structure(problem, context, lines, line, context_line)
    )
    if found is not None:
        return found
    return line, f"malformed YAML: {problem}", "check the YAML syntax on this line (indentation with spaces, quoting)"


def _malformed_token(problem: str, context: str, line: int | None, context_line: int | None) -> tuple[int | None, str, str] | None:
    """A character or a token the scanner cannot read: a tab, an open quote or bracket, an escape, a * or &."""
    if "'\\t'" in problem:
        return line, "malformed YAML: a tab character here", (
            f"YAML indents and separates with spaces only; replace the tab on line {line} with spaces"
        )
    if "quoted scalar" in context:
        return context_line or line, "malformed YAML: a quoted value is never closed", (
            f"close the quote opened on line {context_line} (a quote inside a value is written twice in '...' or as \\\" in \"...\")"
        )
    if "unknown escape character" in problem:
        return line, f"malformed YAML: {problem} in a double-quoted value", (
            "in \"...\" a backslash starts an escape; write \\\\ for a backslash, or use single quotes '...'"
        )
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        closing = "]" if bracket == "[" else "}"
        return context_line or line, f"malformed YAML: the {bracket} opened on line {context_line} is not closed before line {line}", (
            f"close it with {closing}, separate the items with ', ', and quote items that contain ': ' or ','"
        )
    if "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "this character"
        return line, f"malformed YAML: a value cannot start with {char!r} unquoted", f"quote the value: key: \"{char}...\""
    if "while scanning an alias" in context or "while scanning an anchor" in context:
        return line, "malformed YAML: a value starting with * or & is read as an alias or an anchor", "quote the value: key: \"*...\""
    return None


def _indent(lines: list[str], n: int) -> int | None:
    """The spaces before line ``n`` (1-based); none past the file."""
    if not 1 <= n <= len(lines):
        return None
    raw = lines[n - 1]
    return len(raw) - len(raw.lstrip(" "))


def _previous_content_line(lines: list[str], n: int) -> int | None:
    """The nearest line above ``n`` that is neither blank nor a comment."""
    for k in range(n - 1, 0, -1):
        stripped = lines[k - 1].strip()
        if stripped and not stripped.startswith("#"):
            return k
    return None


def _misplaced_mapping_value(exc: yaml.MarkedYAMLError, problem: str, lines: list[str], line: int | None) -> tuple[int | None, str, str] | None:
    """The "mapping values are not allowed here" error: a key inside a value, or a key below a line that has one."""
    if not (problem == "mapping values are not allowed here" and line is not None and exc.problem_mark is not None):
        return None
    before = lines[line - 1][: exc.problem_mark.column] if line <= len(lines) else ""
    if ": " in before:
        return line, "malformed YAML: a second ': ' on one line (a key inside a value)", "quote a value that contains ': ', e.g. key: \"a: b\""
    above = _previous_content_line(lines, line)
    if above is not None and (_indent(lines, line) or 0) > (_indent(lines, above) or 0):
        return line, f"malformed YAML: line {line} is indented below line {above}, which already has a value", (
            f"indent line {line} like the keys of line {above}, or remove the value after the colon on line {above}"
        )
    if above is not None:
        return line, f"malformed YAML: line {line} is `key: value`, but line {above} above it at the same level is not", (
            f"give line {above} a key (`key: ...`) or remove it"
        )
    return line, f"malformed YAML: {problem}", "quote a value that contains ': '"


def _malformed_structure(problem: str, context: str, lines: list[str], line: int | None, context_line: int | None) -> tuple[int | None, str, str] | None:
    """Lines that fit no structure: a key without ':', text after a document or a quoted value, a bad indent."""
    if "could not find expected ':'" in problem:
        key_line = context_line or line
        written = lines[key_line - 1].lstrip() if key_line and key_line <= len(lines) else ""
        if written.startswith("-") and not written.startswith(("- ", "-\t")) and written != "-":
            return key_line, f"malformed YAML: line {key_line} starts with '-' but no space", "a list item is '- ' followed by the value: - item"
        return key_line, f"malformed YAML: line {key_line} is neither `key: value` nor `- item`", (
            "add ': ' after the key, join it with the line above if it continues a value, or quote it"
        )
    if "expected '<document start>'" in problem and line is not None:
        end = next((k for k in range(line - 1, 0, -1) if lines[k - 1].strip() == "..."), None)
        where = f" at line {end}" if end else ""
        return line, f"malformed YAML: more YAML follows the end of the document (`...`{where})", (
            f"a plan file holds one YAML document; remove the `...`{where} or what follows it"
        )
    if "but found '<scalar>'" in problem and line is not None:
        return line, f"malformed YAML: text follows a quoted value on line {line}", (
            "quote the whole value; a ' inside '...' is written twice (''), a \" inside \"...\" as \\\""
        )
    if "expected <block end>" in problem and line is not None:
        found = problem.split("but found ")[-1]
        if found == "'-'" or found == "'?'" or "block collection" in context:
            return line, f"malformed YAML: line {line} mixes list items and keys at one level", (
                "a level is either a list (every line starts with '- ') or a mapping (every line is `key: value`)"
            )
        if found in ("']'", "'}'"):
            return line, f"malformed YAML: a closing {found} on line {line} with no opening bracket", "remove it or add the opening bracket"
        return line, f"malformed YAML: line {line} is indented to no level of the lines above", (
            f"indent line {line} exactly like the other keys of its mapping (spaces, usually 2 per level)"
        )
    if "expected a single document" in context:  # not reached: the composer sees the second document first
        return line, f"malformed YAML: {problem}", "a plan file holds one YAML document"
    return None


# --- the entry point ------------------------------------------------------------------------------


def load_yaml_file(path: Path, display_name: str) -> tuple[YamlDocument | None, list[PlanIssue]]:
    """Load one plan file. Never raises for bad input: returns the issues instead."""
    raw = _read_regular_file(path, display_name)
    if isinstance(raw, PlanIssue):
        return None, [raw]
    text = _decode(raw, display_name)
    if isinstance(text, PlanIssue):
        return None, [text]
    return load_yaml_text(text, display_name)


def load_yaml_text(text: str, display_name: str) -> tuple[YamlDocument | None, list[PlanIssue]]:
    """Load a plan file's text read elsewhere (a Markdown plan's appendix) with a file's bounds (depth,
    aliases, the core schema). Never raises for bad input; the issues' lines are the text's own."""
    composed = _compose_with_libyaml(text, display_name)
    if composed is not None:
        composer, data = composed
    else:
        composer = _Composer(text, SourceMap(display_name))
        data = _compose(composer, text, display_name)
    source = composer.source
    if isinstance(data, PlanIssue):
        return None, [data]
    if not composer.has_root or data is None:
        return None, [PlanIssue(display_name, 1, "", "the file is empty: it holds no YAML document", "a plan file is a YAML mapping")]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return None, [
            PlanIssue(
                display_name,
                source.lines.get((), 1),
                "",
                f"the file holds {kind}, but a plan file must be a mapping of fields",
                "start the file with `name: ...` and the other fields at the top level",
            )
        ]
    return YamlDocument(display_name, data, source), composer.issues


def _decode(raw: bytes, display_name: str) -> str | PlanIssue:
    """The file's text, if it is UTF-8 text with something in it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return PlanIssue(
            display_name,
            raw[: exc.start].count(b"\n") + 1,
            "",
            f"the file is not UTF-8 text (byte {exc.start} cannot be decoded)",
            "plan files are YAML text; is this the right file?",
        )
    if "\x00" in text:
        return PlanIssue(display_name, text[: text.index("\x00")].count("\n") + 1, "", "the file contains NUL bytes: it is not YAML text")
    if not text.strip():
        return PlanIssue(display_name, 1, "", "the file is empty", "a plan file is a YAML mapping")
    return text


LIBYAML_PARSER: Any = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
"""libyaml's parser (PyYAML's C extension), about 20 times faster than PyYAML's own; None without it."""

_PARSERS_DIFFER = re.compile(r"[\t?\ufeff\x85\u2028\u2029]|[|>][-+0-9]*#|(?:\A|[ \n\r\[\]{},:'\"])!|(?:\A|[\n\r])%")
"""Text that libyaml's parser reads otherwise than PyYAML's, found by comparing their events on
mutated plans (tests/test_plan_yaml_parsers.py): a tab (libyaml takes one inside a plain
scalar or after ': ', PyYAML refuses it), '?' (libyaml allows it in a plain scalar inside [...],
and marks an explicit key's empty value on the next line), a byte order mark (libyaml drops one
that starts any line, PyYAML only the first), a block scalar's header followed by '#' (libyaml
reads a comment, PyYAML refuses it), a tag (libyaml reads ``!a:b!c`` as one local tag, PyYAML
refuses it; the '!' that may start one), a directive, and YAML 1.1's line breaks other than \\n
and \\r (kept on the Python path rather than compared). Such text is read by PyYAML's parser only."""


def _events(loader: Any) -> Any:
    while loader.check_event():
        yield loader.get_event()


def _compose_with_libyaml(text: str, display_name: str) -> tuple[_Composer, Any] | None:
    """The composer and the data of ``text`` read through libyaml's parser, where that gives what
    PyYAML's parser gives; None where PyYAML's parser must read it.

    The two parsers give the same events (values, tags, styles, anchors, lines) for text that
    both read and that :data:`_PARSERS_DIFFER` does not match, and libyaml refuses no such text
    that PyYAML reads. Their errors differ in wording and in where they stop, so any text that
    does not compose whole (a syntax error, a control character, a bound, a second document) is
    read again by PyYAML's parser, whose error is the one reported."""
    if LIBYAML_PARSER is None or _PARSERS_DIFFER.search(text):
        return None
    composer = _Composer(text, SourceMap(display_name))
    try:
        loader = LIBYAML_PARSER(text)
    except Exception:  # noqa: BLE001 - e.g. a lone surrogate cannot be encoded: the Python path says what is wrong
        return None
    try:
        return composer, composer.compose(_events(loader))
    except Exception:  # noqa: BLE001 - whatever stops it, the Python path reads the text again and reports it
        return None
    finally:
        loader.dispose()


def _compose(composer: _Composer, text: str, display_name: str) -> Any:
    """The data of the one document in ``text`` read by PyYAML's parser, or the PlanIssue that stopped reading it."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        return composer.compose(_events(loader))
    except _Stop as stop:
        return stop.issue
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        return PlanIssue(
            display_name,
            line,
            "",
            f"the file contains the control character U+{exc.character:04X}, which YAML does not allow",
            "remove it (or write it as an escape inside a double-quoted value)",
        )
    except yaml.MarkedYAMLError as exc:
        line, message, hint = _malformed(exc, text)
        return PlanIssue(display_name, line, "", message, hint)
    except yaml.YAMLError as exc:
        return PlanIssue(display_name, None, "", f"malformed YAML: {exc}")
    finally:
        if loader is not None:
            loader.dispose()
