"""Read a filled Implementation Plan template into a :class:`MarkdownPlan`.

Tolerant of how people write it (bold or plain labels, list bullets, table alignment and spacing,
extra sections of their own), strict about what it cannot read: a Technical Context line that is no
``Label: value``, an unknown label, a table without the columns it needs, a missing section. Every
problem is a :class:`PlanIssue` naming the Markdown line, all of them at once.
"""

from __future__ import annotations

import difflib
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..plan.errors import PlanError, PlanIssue
from .model import APPENDIX_HEADING, CONTEXT_LABELS, Cell, ChartRow, ComplexityRow, GateRow, MarkdownPlan, PlanFileBlock

REQUIRED_SECTIONS = ("Technical Context", "Helm Chart Discovery", "Constitution Check")
MAX_BYTES = 1024 * 1024  # as the plan's YAML files: a plan is small

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
# Linear on any line (a hostile 1 MiB line must not hang import): the closing #s are stripped in
# _heading, not by a lazy group before `\s*#*\s*$`, which backtracks cubically on a run of spaces.
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# The label is possessive and the value greedy (both stripped where read): a lazy label or value before
# `\s*` backtracks quadratically on a long run of spaces without a colon.
_LABEL_LINE = re.compile(r"^\s*(?:[-*+]\s+)?(\*\*|__)?(?P<label>[A-Za-z][A-Za-z /&-]*+)\s*(?::\s*(\*\*|__)|(\*\*|__)\s*:|:)\s*(?P<value>.*)$")
_PATH_HEADING = re.compile(r"^`?(?P<path>[A-Za-z0-9._/-]+)`?$")


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    in_fence: bool  # inside a fenced code block (or its fence lines)


@dataclass
class _Section:
    title: str
    line: int
    lines: list[_Line]


def _norm(label: str) -> str:
    """A label or column name folded for comparison: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", label.lower())


_LABELS = {_norm(v): k for k, v in CONTEXT_LABELS.items()} | {"scale": "scale_scope", "scope": "scale_scope", "iac": "iac_tools", "secrets": "secrets_management"}


def _physical_lines(text: str) -> list[str]:
    """The lines an editor numbers (\\n, \\r\\n or \\r): str.splitlines also breaks at a form feed, U+2028 and
    others, which would shift every line number after one."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _lines(text: str) -> list[_Line]:
    """The document's lines without HTML comments, marking those inside fenced code blocks."""
    out: list[_Line] = []
    fence: str | None = None
    in_comment = False
    for number, raw in enumerate(_physical_lines(text), start=1):
        if fence is not None:
            m = _FENCE.match(raw)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
                fence = None
            out.append(_Line(number, raw, True))
            continue
        line = raw
        if in_comment:
            end = line.find("-->")
            if end < 0:
                continue
            line, in_comment = line[end + 3 :], False
        while "<!--" in line:
            start = line.index("<!--")
            end = line.find("-->", start + 4)
            if end < 0:
                line, in_comment = line[:start], True
                break
            line = line[:start] + line[end + 3 :]
        m = _FENCE.match(line)
        if m:
            fence = m.group(1)
            out.append(_Line(number, line, True))
            continue
        out.append(_Line(number, line, False))
    return out


def _heading(text: str) -> tuple[int, str] | None:
    """An ATX heading's level and title (the closing #s and the spaces around it removed), or None."""
    m = _HEADING.match(text)
    return (len(m.group(1)), m.group(2).rstrip().rstrip("#").rstrip()) if m else None


def _sections(lines: list[_Line]) -> tuple[Cell | None, list[_Section]]:
    """The title (the first ``#`` heading) and the ``##`` sections, each with its lines."""
    title: Cell | None = None
    sections: list[_Section] = []
    for ln in lines:
        h = None if ln.in_fence else _heading(ln.text)
        if h and h[0] == 1 and title is None and not sections:
            title = Cell(h[1], ln.number)
            continue
        if h and h[0] == 2:
            sections.append(_Section(h[1].strip(), ln.number, []))
            continue
        if sections:
            sections[-1].lines.append(ln)
    return title, sections


def _is_placeholder(text: str) -> bool:
    """A template placeholder left as it was: ``[e.g., ...]``, ``[Custom Component]``, ``[link]``."""
    t = text.strip().strip("*_`").strip()
    return (t.startswith("[") and t.endswith("]") and "](" not in t) or t.lower().startswith("[e.g.")


def _unescape(text: str) -> str:
    """``<\\!--`` (how document writes a ``<!--`` of the plan's text, which no HTML comment starts) back to ``<!--``."""
    return text.replace("<\\!--", "<!--")


def _clean(cell: str) -> str:
    """A table cell or value without Markdown emphasis and surrounding space."""
    text = _unescape(cell.strip())
    for mark in ("**", "__"):
        if text.startswith(mark) and text.endswith(mark) and len(text) > 2 * len(mark):
            text = text[len(mark) : -len(mark)].strip()
    return text


def _split_row(text: str) -> list[str]:
    """The cells of a table row; ``\\|`` is a literal bar, as in GitHub's tables."""
    body = text.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells = re.split(r"(?<!\\)\|", body)
    return [c.replace("\\|", "|").strip() for c in cells]


@dataclass
class _Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]


def _tables(lines: list[_Line]) -> list[_Table]:
    """The pipe tables among ``lines`` (outside code blocks): a header, a ``---`` separator, rows."""
    tables: list[_Table] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if not ln.in_fence and ln.text.strip().startswith("|") and i + 1 < len(lines):
            sep = _split_row(lines[i + 1].text)
            if lines[i + 1].text.strip().startswith("|") and sep and all(re.fullmatch(r":?-{1,}:?", c.replace(" ", "")) for c in sep):
                table = _Table([_norm(c) for c in _split_row(ln.text)], ln.number, [])
                i += 2
                while i < len(lines) and not lines[i].in_fence and lines[i].text.strip().startswith("|"):
                    table.rows.append((lines[i].number, _split_row(lines[i].text)))
                    i += 1
                tables.append(table)
                continue
        i += 1
    return tables


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[PlanIssue] = []

    def issue(self, line: int | None, where: str, message: str, hint: str = "") -> None:
        self.issues.append(PlanIssue(self.file, line, where, message, hint))

    def context(self, section: _Section) -> dict[str, Cell]:
        """``**Label**: value`` lines; a line that is neither one nor the continuation of a value is an error."""
        found: dict[str, Cell] = {}
        last: str | None = None
        for ln in section.lines:
            if ln.in_fence or not ln.text.strip():
                last = None if not ln.text.strip() else last
                continue
            m = _LABEL_LINE.match(ln.text)
            if m is None and (lookalike := _lookalike_label(ln.text)) is not None:
                self.issue(ln.number, "Technical Context", *lookalike)
                last = None
                continue
            if m is None:
                if last is not None and not ln.text.lstrip().startswith(("-", "*", "|", "#")):
                    found[last] = Cell(f"{found[last].text} {ln.text.strip()}".strip(), found[last].line)
                    continue
                self.issue(ln.number, "Technical Context", f"expected '**Label**: value', read '{ln.text.strip()[:60]}'", f"labels: {', '.join(CONTEXT_LABELS.values())}")
                continue
            label = m.group("label").strip()
            key = _LABELS.get(_norm(label))
            if key is None:
                close = difflib.get_close_matches(label, list(CONTEXT_LABELS.values()), n=1, cutoff=0.5)
                self.issue(
                    ln.number,
                    "Technical Context",
                    f"unknown label '{label}'",
                    (f"did you mean '{close[0]}'? " if close else "") + f"labels: {', '.join(CONTEXT_LABELS.values())}",
                )
                last = None
                continue
            if key in found:
                self.issue(ln.number, f"Technical Context.{CONTEXT_LABELS[key]}", f"'{CONTEXT_LABELS[key]}' is given twice (first on line {found[key].line})", "give each label once")
                last = None
                continue
            found[key] = Cell(_clean(m.group("value")), ln.number)
            last = key
        return found

    def _columns(self, table: _Table, where: str, wanted: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, int] | None:
        """Column index of each wanted column (by any of its names); None, with an issue, if a required one is missing."""
        index: dict[str, int] = {}
        for key, names in wanted.items():
            for i, h in enumerate(table.header):
                if any(h.startswith(_norm(n)) for n in names):
                    index[key] = i
                    break
        missing = [k for k in required if k not in index]
        if missing:
            self.issue(table.header_line, where, f"the table has no {', '.join(repr(wanted[k][0]) for k in missing)} column", f"its columns: {', '.join(wanted[k][0] for k in wanted)}")
            return None
        return index

    @staticmethod
    def _cell(cells: list[str], index: dict[str, int], key: str, line: int) -> Cell | None:
        i = index.get(key)
        if i is None:
            return None
        return Cell(_clean(cells[i]) if i < len(cells) else "", line)

    def charts(self, section: _Section) -> tuple[ChartRow, ...]:
        wanted = {"component": ("Component",), "helm": ("Helm Available", "Helm"), "source": ("Chart Source", "Source", "Repository"), "version": ("Version",), "notes": ("Notes",)}
        tables = [t for t in _tables(section.lines) if "component" in t.header]
        if not tables:
            self.issue(section.line, "Helm Chart Discovery", "no table with a 'Component' column", "| Component | Helm Available? | Chart Source | Version | Notes |")
            return ()
        index = self._columns(tables[0], "Helm Chart Discovery", wanted, ("component", "helm", "version"))
        if index is None:
            return ()
        rows = []
        for line, cells in tables[0].rows:
            component = self._cell(cells, index, "component", line)
            assert component is not None
            if _is_placeholder(component.text) or not component.text:
                continue
            empty = Cell("", line)
            rows.append(ChartRow(component, self._cell(cells, index, "helm", line) or empty, self._cell(cells, index, "source", line) or empty,
                                 self._cell(cells, index, "version", line) or empty, self._cell(cells, index, "notes", line) or empty))  # fmt: skip
        return tuple(rows)

    def gates(self, section: _Section) -> tuple[GateRow, ...]:
        """A table with a 'Gate' column, or bullets ``- **id**: description`` (a checkbox allowed)."""
        tables = [t for t in _tables(section.lines) if any(h.startswith("gate") for h in t.header)]
        if tables:
            wanted = {"gate": ("Gate",), "description": ("Guarantee", "Description", "Principle"), "rule": ("Rule",), "required": ("Required",), "params": ("Params", "Parameters")}
            index = self._columns(tables[0], "Constitution Check", wanted, ("gate", "description"))
            if index is None:
                return ()
            out = []
            for line, cells in tables[0].rows:
                gate = self._cell(cells, index, "gate", line)
                assert gate is not None
                if _is_placeholder(gate.text) or not gate.text:
                    continue
                out.append(GateRow(Cell(gate.text.strip("`"), line), self._cell(cells, index, "description", line) or Cell("", line),
                                   self._cell(cells, index, "rule", line), self._cell(cells, index, "required", line), self._cell(cells, index, "params", line)))  # fmt: skip
            return tuple(out)
        out = []
        for ln in section.lines:
            m = re.match(r"^\s*[-*+]\s+(\[[ xX]\]\s+)?(\*\*|`)?(?P<id>[A-Za-z0-9-]+)(\*\*|`)?\s*[:—–-]\s+(?P<text>.+)$", ln.text)
            if m and not ln.in_fence:
                out.append(GateRow(Cell(m.group("id"), ln.number), Cell(m.group("text").strip(), ln.number)))
            elif not ln.in_fence and re.match(r"^\s*[-*+]\s+", ln.text) and not _is_placeholder(ln.text.strip()[1:]):
                self.issue(ln.number, "Constitution Check", f"expected '- **gate-id**: what it guarantees', read '{ln.text.strip()[:60]}'", "or a table | Gate | Rule | Required | Params | Status | Guarantee |")
        return tuple(out)

    def complexity(self, section: _Section) -> tuple[ComplexityRow, ...]:
        tables = [t for t in _tables(section.lines) if any(h.startswith("violation") for h in t.header)]
        if not tables:
            return ()
        wanted = {"violation": ("Violation",), "why": ("Why Needed", "Why"), "alternative": ("Simpler Alternative", "Alternative")}
        index = self._columns(tables[0], "Complexity Tracking", wanted, ("violation", "why"))
        if index is None:
            return ()
        out = []
        for line, cells in tables[0].rows:
            violation = self._cell(cells, index, "violation", line)
            assert violation is not None
            if _is_placeholder(violation.text) or not violation.text:
                continue
            why = self._cell(cells, index, "why", line) or Cell("", line)
            if not why.text or _is_placeholder(why.text):
                self.issue(line, "Complexity Tracking", f"'{violation.text[:60]}' has no 'Why Needed'", "say why the platform needs it")
                continue
            out.append(ComplexityRow(violation, why, self._cell(cells, index, "alternative", line)))
        return tuple(out)

    def appendix(self, section: _Section) -> tuple[PlanFileBlock, ...]:
        """``### `path` `` headings, each followed by a fenced block holding that plan file."""
        out: list[PlanFileBlock] = []
        path: tuple[str, int] | None = None
        body: list[str] | None = None
        opened = 0
        for ln in section.lines:
            if body is not None:
                m = _FENCE.match(ln.text)
                if m and not m.group(2).strip() and ln.text.strip() and _is_closing(ln.text, body):
                    assert path is not None
                    out.append(PlanFileBlock(path[0], "".join(line + "\n" for line in body[1:]), path[1], opened + 1))
                    path, body = None, None
                else:
                    body.append(ln.text)
                continue
            h = None if ln.in_fence else _heading(ln.text)
            if h and h[0] == 3:
                m = _PATH_HEADING.match(h[1].strip())
                if m is None:
                    self.issue(ln.number, APPENDIX_HEADING, f"expected a plan file's path as the heading, read '{h[1][:60]}'", "### `platform.yaml`")
                    path = None
                else:
                    path = (m.group("path"), ln.number)
                continue
            if ln.in_fence and path is not None and _FENCE.match(ln.text):
                body, opened = [_FENCE.match(ln.text).group(1)], ln.number  # type: ignore[union-attr]
        if body is not None:
            self.issue(path[1] if path else section.line, APPENDIX_HEADING, "the code block of this plan file is not closed", "end it with ``` on a line of its own")
        return tuple(out)


# A label written with characters outside ASCII (a Cyrillic letter, a zero-width space, a full-width colon):
# read as the previous value's continuation, it would drop the decision without a word.
_ANY_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<label>[^\W\d_][^\W_]{0,40}(?:[ /&-][^\W_]{1,40}){0,4})\s*(?:(?:\*\*|__)\s*)?[:\uff1a\ufe55\ua789]")


def _lookalike_label(text: str) -> tuple[str, str] | None:
    """(message, hint) when ``text`` starts with a known label spelled with non-ASCII characters."""
    m = _ANY_LABEL.match(unicodedata.normalize("NFKC", "".join(c for c in text if unicodedata.category(c) != "Cf")))
    if m is None:
        return None
    ascii_only = "".join(c for c in m.group("label") if c.isascii())
    close = difflib.get_close_matches(ascii_only, list(CONTEXT_LABELS.values()), n=1, cutoff=0.8)
    if not close:
        return None
    colon = next((i for i, c in enumerate(text) if c in ":\uff1a\ufe55\ua789"), len(text))
    odd = sorted({f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in text[: colon + 1] if not c.isascii()})
    return f"'{close[0]}' is written with characters that are not ASCII ({', '.join(odd)[:200]})", f"type the label again: {close[0]}: value"


def _is_closing(text: str, body: list[str]) -> bool:
    opener = body[0]
    m = _FENCE.match(text)
    return bool(m) and m.group(1)[0] == opener[0] and len(m.group(1)) >= len(opener)


def parse_markdown(text: str, file: str = "plan.md") -> MarkdownPlan:
    """The Markdown plan in ``text``; PlanError with every issue (each naming its line) if it cannot be read."""
    reader = _Reader(file)
    title, sections = _sections(_lines(text))
    by_title: dict[str, _Section] = {}
    for s in sections:
        by_title.setdefault(_norm(s.title), s)
    for name in REQUIRED_SECTIONS:
        if _norm(name) not in by_title:
            last = len(_physical_lines(text)) or None
            reader.issue(last, name, f"the section '## {name}' is missing", f"the template's sections: {', '.join(REQUIRED_SECTIONS)}, Project Structure, Complexity Tracking")
    context_section = by_title.get(_norm("Technical Context"))
    context = reader.context(context_section) if context_section else {}
    charts = reader.charts(by_title[_norm("Helm Chart Discovery")]) if _norm("Helm Chart Discovery") in by_title else ()
    gates = reader.gates(by_title[_norm("Constitution Check")]) if _norm("Constitution Check") in by_title else ()
    gates_undecided = _gates_placeholder(by_title[_norm("Constitution Check")]) if not gates and _norm("Constitution Check") in by_title else None
    complexity = reader.complexity(by_title[_norm("Complexity Tracking")]) if _norm("Complexity Tracking") in by_title else ()
    appendix = reader.appendix(by_title[_norm(APPENDIX_HEADING)]) if _norm(APPENDIX_HEADING) in by_title else ()
    summary = None
    if _norm("Summary") in by_title:
        s = by_title[_norm("Summary")]
        words = [ln for ln in s.lines if ln.text.strip() and not ln.in_fence]
        if words and not _is_placeholder(" ".join(w.text.strip() for w in words)):
            summary = Cell(_unescape(" ".join(w.text.strip() for w in words)), words[0].number)
    if reader.issues:
        raise PlanError(reader.issues)
    return MarkdownPlan(file, title, summary, context, context_section.line if context_section else 0, charts, gates, complexity, appendix, gates_undecided)


def _gates_placeholder(section: _Section) -> Cell | None:
    """The line of the template's placeholder (or a NEEDS CLARIFICATION) in a Constitution Check without
    gates; None when the section is otherwise empty or holds a gate table (no gates, on purpose)."""
    if any(ln.text.lstrip().startswith("|") and "gate" in ln.text.lower() for ln in section.lines if not ln.in_fence):
        return None
    for ln in section.lines:
        text = ln.text.strip()
        if not ln.in_fence and (_is_placeholder(text) or "needsclarification" in re.sub(r"[\s_-]", "", text).casefold()):
            return Cell(text, ln.number)
    return None


def read_markdown(path: Path | str) -> MarkdownPlan:
    """Read and parse a Markdown plan file (UTF-8, at most 1 MiB)."""
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device (/dev/zero) would block or never end
            raise PlanError([PlanIssue(str(path), None, "", "the Markdown plan is not a regular file", "pass the path of a .md file")])
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)  # never a huge file's whole content in memory
    except OSError as exc:
        raise PlanError([PlanIssue(str(path), None, "", f"cannot read the Markdown plan: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise PlanError([PlanIssue(str(path), None, "", f"the Markdown plan is larger than {MAX_BYTES} bytes, the most import reads")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanError([PlanIssue(str(path), line, "", "the Markdown plan is not UTF-8 text", "save it as UTF-8")]) from None
    return parse_markdown(text, str(path))
