"""Read a plan folder into a validated :class:`Plan`, or raise :class:`PlanError`."""

from __future__ import annotations

import difflib
import json
import math
import os
import stat
import types
import typing
import unicodedata
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .chart_lock import LOCK_FILE, ChartLockFile, chart_refs, lock_issues
from .checks import cross_file_checks
from .environment import EnvironmentPlan
from .errors import FieldValueError, PlanError, PlanIssue
from .platform import PlatformPlan
from .tenant import TenantPlan
if TYPE_CHECKING:
    from ..addons.base import ChartRef
from .yaml_source import (
    YAML11_FALSE,
    YAML11_TRUE,
    FieldPath,
    ScalarNote,
    SourceMap,
    YamlDocument,
    decimal_of,
    format_path,
    load_yaml_file,
    open_error,
    readings,
    yaml11_reading,
)

PLATFORM_FILE = "platform.yaml"
TENANTS_DIR = "tenants"
TIER_ORDER = {"development": 0, "staging": 1, "production": 2}


@dataclass(frozen=True)
class Plan:
    """The whole validated plan: plan-wide decisions, environments and tenants.

    Every file's own rules hold by construction (pydantic); the rules across files (names,
    accounts, CIDRs, tenants' quotas, access, DNS, ...) are checked whenever a Plan is made,
    however it is made: read by :func:`load_plan`, built in Python, or changed with
    ``dataclasses.replace`` (the checks run again; ``checked`` is not copied). A plan built in
    Python names its parts ``<python>:<part>`` in errors, as it has no files and lines."""

    root: Path
    platform: PlatformPlan
    environments: dict[str, EnvironmentPlan]
    tenants: dict[str, TenantPlan] = field(default_factory=dict)
    sources: dict[str, SourceMap] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    # The file each part came from: "platform", "environments.<name>", "tenants.<name>" -> path.
    origins: dict[str, str] = field(default_factory=dict)
    # charts.lock: the exact versions of the components platform.charts constrains (None: no lock file)
    chart_lock: ChartLockFile | None = None
    checked: InitVar[bool] = False  # load_plan ran the checks already (on the files, with lines)

    def __post_init__(self, checked: bool) -> None:
        if checked:
            return
        issues = cross_file_checks(
            self.platform,
            self.origin("platform"),
            {n: (e, self.origin(f"environments.{n}")) for n, e in self.environments.items()},
            {n: (t, self.origin(f"tenants.{n}")) for n, t in self.tenants.items()},
            self.sources,
        )
        issues = issues or lock_issues(self.platform, self.chart_lock, self.origin("platform"), self.origin("charts.lock"), self.sources)
        if issues:
            raise PlanError(issues)

    @property
    def charts(self) -> dict[str, ChartRef]:
        """The locked chart of each component platform.charts constrains (the others keep the catalog's pin)."""
        return chart_refs(self.platform, self.chart_lock)

    @property
    def warnings(self) -> list[PlanIssue]:
        """What validate reports without refusing the plan: choices that add complexity without a
        justification (plan/complexity.py). ``infraplan check`` may make them blocking."""
        from .complexity import complexity_warnings

        return complexity_warnings(
            self.platform,
            self.origin("platform"),
            {n: (e, self.origin(f"environments.{n}")) for n, e in self.environments.items()},
            {n: (t, self.origin(f"tenants.{n}")) for n, t in self.tenants.items()},
            self.sources,
        )

    def origin(self, part: str) -> str:
        """The file ``part`` came from, or ``<python>:<part>`` for a plan built in Python."""
        return self.origins.get(part) or f"<python>:{part}"

    def environment(self, name: str) -> EnvironmentPlan:
        if name not in self.environments:
            raise PlanError([_unknown("environment", name, list(self.environments))])
        return self.environments[name]

    def tenant(self, name: str) -> TenantPlan:
        if name not in self.tenants:
            raise PlanError([_unknown("tenant", name, list(self.tenants))])
        return self.tenants[name]


def _unknown(kind: str, name: str, known: list[str]) -> PlanIssue:
    """A name given on the command line (``--env``, ``--tenant``) that the plan does not define:
    the closest defined one, and all of them (the closest may not be the one meant)."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = (f"did you mean '{close[0]}'? " if close else "") + f"defined {kind}s: {', '.join(sorted(known)) or 'none'}"
    option = {"environment": "--env", "tenant": "--tenant"}.get(kind, "")
    return PlanIssue("<command line>", None, option, f"no {kind} named '{name}'", hint)


def _field_type(annotation: Any) -> Any:
    """Unwrap Optional[...] / list[...] / dict[..., X] down to a model class where there is one."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                found = _field_type(arg)
                if found is not None:
                    return found
        return None
    if origin is typing.Annotated:
        return _field_type(typing.get_args(annotation)[0])
    if origin in (list, tuple, set):
        return _field_type(typing.get_args(annotation)[0])
    if origin is dict:
        return _field_type(typing.get_args(annotation)[1])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return None
        if isinstance(part, str) and part in current.model_fields:
            current = _field_type(current.model_fields[part].annotation)
        # list indexes and dict keys keep the element model found above
    return current


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
}
"""pydantic's type errors, and what the field takes, in the plan writer's words."""


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str) -> str:
    return json.dumps(_short(text), ensure_ascii=False)


def _note_for(value: Any, note: ScalarNote | None) -> ScalarNote | None:
    """The note of the scalar pydantic complains about, if it is that scalar's."""
    if note is None:
        return None
    if note.kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif note.kind == "boolean":
        ok = isinstance(value, bool)
    elif note.kind == "null":
        ok = value is None
    else:
        ok = isinstance(value, str)
    return note if ok else None


def describe_read(value: Any, note: ScalarNote | None) -> str:
    """What was read, as it was written in YAML: ``4200 (a number)``, ``"5" (a quoted string)``."""
    note = _note_for(value, note)
    if note is not None:
        text = _short(note.text)
        if note.kind == "number":
            return f"{text} (a number)"
        if note.kind == "boolean":
            return f"{text} (a boolean)"
        if note.kind == "null":
            return "nothing (null)" if not note.text else f"{text} (null)"
        if note.ambiguous:
            yaml12, yaml11 = readings(note)
            if yaml12 == yaml11:
                return f"{text} (the hexadecimal number {yaml12})"
            return f"{text} ({yaml12} in YAML 1.2, {yaml11} in YAML 1.1)"
        if note.quoted:
            return f"{_quoted(note.text)} (a quoted string)"
        return f"{text} (a string)"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{_quoted(value)} (a string)"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:3]) + (", …" if len(value) > 3 else "")
        return f"a mapping ({keys})" if value else "an empty mapping {}"
    return type(value).__name__


def _type_hint(kind: str, value: Any, note: ScalarNote | None, field_name: str) -> str:
    """How to write the value so that it is of the type the field takes."""
    note = _note_for(value, note)
    text = note.text if note is not None else str(value)
    expected = _EXPECTED[kind]
    if kind == "string_type":
        if value is None:
            return f'write the text after the colon: {field_name}: "…"'
        if isinstance(value, list):
            return "write one string, not a list"
        if isinstance(value, dict):
            return "write one string on the line of the key (quote it if it contains ': '), not indented lines below it"
        return f'quote it: "{text}"'
    if kind in ("int_type", "int_parsing", "int_from_float", "float_type", "float_parsing"):
        whole = kind.startswith("int")
        example = "3" if whole else "2.5"
        if note is not None and note.ambiguous:
            reading = yaml11_reading(note)
            decimal = decimal_of(note)
            if note.kind == "leading-zero":
                return f"write {decimal}, without the leading zero (YAML 1.1 reads {note.text} as {reading})"
            if note.kind == "radix":
                return f"write it in decimal: {decimal}"
            if note.kind == "underscore":
                return f"write {decimal}, without underscores"
            if note.kind == "sexagesimal":
                return f"write the number in decimal (YAML 1.1 reads {note.text} as {reading})"
            return f"write {'a whole number' if whole else 'a number'} such as {example}; {note.text} is not one"
        if isinstance(value, bool):
            return f"write {'a whole number' if whole else 'a number'} such as {example}; true and false are not numbers"
        if isinstance(value, float) and whole:
            if not math.isfinite(value):
                return f"write a whole number such as {example}; {text} is not one"
            return f"write {int(value)}" if value.is_integer() else f"write a whole number such as {int(value)}"
        if isinstance(value, str):
            bare = value.strip()
            plain = bare.isascii() and (bare.lstrip("+-").isdigit() if whole else _is_decimal(bare))
            return f"write it without quotes: {bare}" if plain else f"write {'a whole number' if whole else 'a number'} such as {example}"
        if value is None:
            return f"write {'a whole number' if whole else 'a number'} after the colon: {field_name}: {example}"
        return f"write one {'whole number' if whole else 'number'} such as {example}"
    if kind in ("bool_type", "bool_parsing"):
        if note is not None and note.kind == "yaml11-bool":
            return f"write {yaml11_reading(note)} (YAML 1.2 reads {note.text} as a string)"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return f"write {value.strip().lower()} without quotes"
        if isinstance(value, str) and value.strip() in YAML11_TRUE | YAML11_FALSE:
            return f"write {'true' if value.strip() in YAML11_TRUE else 'false'}"
        return "write true or false"
    if kind == "list_type":
        if isinstance(value, dict):
            return f"write a list: one '- item' line per item below '{field_name}:' (these lines are `key: value`)"
        if value is None:
            return f"write the items after the colon: {field_name}: [a, b], or remove the line"
        return f"write a list: {field_name}: [{text if note is None or not note.quoted else _quoted(text)}], or one '- item' line per item"
    if isinstance(value, list):
        return f"write the fields as `key: value` lines below '{field_name}:', not '- ' items"
    return f"write the fields on their own lines below '{field_name}:', indented by two spaces (not {expected})"


def _is_decimal(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return all(c in "0123456789+-.eE" for c in text)


def _field_name(loc: FieldPath) -> str:
    return next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")


def _convert_validation_error(exc: ValidationError, model: type[BaseModel], source: SourceMap) -> list[PlanIssue]:
    issues = []
    for err in exc.errors():
        loc: FieldPath = tuple(err["loc"])
        kind = err["type"]
        hint = ""
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        raised = err.get("ctx", {}).get("error")
        if isinstance(raised, FieldValueError):
            loc = loc + raised.path
            message, hint = raised.message, raised.hint
        if kind == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            message = f"unknown field '{loc[-1]}'"
            hint = (f"did you mean '{close[0]}'? " if close else "") + f"allowed here: {', '.join(allowed)}"
        elif kind == "missing":
            message = "this field is required"
            parent = _model_at(model, loc[:-1])
            if parent is not None and loc[-1] in parent.model_fields:
                desc = parent.model_fields[loc[-1]].description
                hint = desc or ""
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",") if o.strip()]
            value = err.get("input")
            close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
            if isinstance(value, str):
                message = f"'{value}' is not allowed; allowed: {expected}"
            else:
                message = f"read {describe_read(value, source.scalars.get(loc))}; allowed: {expected}"
            hint = f"did you mean '{close[0]}'?" if close else "write one of the allowed values"
        elif kind in _EXPECTED:
            value = err.get("input")
            note = source.scalars.get(loc)
            message = f"expected {_EXPECTED[kind]}, read {describe_read(value, note)}"
            hint = _type_hint(kind, value, note, _field_name(loc))
        issues.append(PlanIssue(source.file, source.line_of(loc), format_path(loc), message, hint))
    # A required field reported missing because it was misspelled is one mistake, not two:
    # keep the "unknown field … did you mean" issue only.
    misspelled = {
        (i.path.rsplit(".", 1)[0] if "." in i.path else "", i.hint.split("'")[1])
        for i in issues
        if i.message.startswith("unknown field") and i.hint.startswith("did you mean '")
    }
    return [i for i in issues if not (i.message == "this field is required" and (i.path.rsplit(".", 1)[0] if "." in i.path else "", i.path.rsplit(".", 1)[-1]) in misspelled)]


_MARKER = "needsclarification"


def _marker_form(text: str) -> str:
    """``text`` folded so that every spelling of the marker matches: NFKC (fullwidth letters),
    case folded, and without whitespace of any kind (no-break spaces, line breaks of block
    scalars), invisible format characters (zero-width space) and '-' / '_'."""
    if text.isascii():  # the same, quicker: NFKC keeps ASCII, casefold lowers it, no ASCII character is Cf, Zl or Zp
        return text.lower().translate(_ASCII_UNMARKED)
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if not (c.isspace() or c in "-_" or unicodedata.category(c) in ("Cf", "Zs", "Zl", "Zp")))


_ASCII_UNMARKED = {c: None for c in range(128) if chr(c).isspace() or chr(c) in "-_"}


def _what_to_decide(model: type[BaseModel], path: FieldPath) -> str:
    """The hint of an undecided value: what the field does (its description), so that the list
    validate prints says what to decide without opening the file."""
    for i in reversed([i for i, part in enumerate(path) if isinstance(part, str)]):  # a dict key: its field's
        parent = _model_at(model, path[:i])
        info = parent.model_fields.get(path[i]) if parent is not None else None
        if info is not None and info.description:
            return f"decide this value before synthesizing: {info.description}"
    return "decide this value before synthesizing"


def _needs_clarification(doc: YamlDocument, model: type[BaseModel]) -> list[PlanIssue]:
    """Every value and key still marked NEEDS CLARIFICATION, however it is spelled or split."""
    found: list[PlanIssue] = []

    def mark(path: FieldPath, message: str) -> None:
        found.append(PlanIssue(doc.file, doc.source.line_of(path), format_path(path), message, _what_to_decide(model, path)))

    def walk(value: Any, path: FieldPath) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and _MARKER in _marker_form(k):
                    mark(path + (k,), "this key is still marked NEEDS CLARIFICATION")
                walk(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, path + (i,))
        elif isinstance(value, str) and _MARKER in _marker_form(value):
            mark(path, "still marked NEEDS CLARIFICATION")

    walk(doc.data, ())
    return found


def _annotation_at(model: type[BaseModel], path: FieldPath) -> Any:
    """The type the model declares at ``path`` (``Any`` once the path enters untyped data), or None."""
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        if annotation is Any:
            return Any
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not (isinstance(part, str) and part in annotation.model_fields):
                return None
            annotation = annotation.model_fields[part].annotation
        elif origin in (list, tuple, set) and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict and typing.get_args(annotation):
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    return _unwrap(annotation)


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Optional[X]`` and ``Annotated[X, ...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _takes_text(annotation: Any) -> bool:
    """Whether a field of this type takes the scalar as text (str, a Literal of strings, untyped)."""
    if annotation is Any or annotation is str:
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return all(isinstance(a, str) for a in typing.get_args(annotation))
    return False


def _ambiguous_scalars(doc: YamlDocument, model: type[BaseModel]) -> list[PlanIssue]:
    """Ambiguous plain scalars (``yes``, ``off``, ``010``, ``2024-01-01``) where the value is
    taken as text. (Where a number or boolean is expected, the type check reports them.)

    infraplan reads them by YAML 1.2, as the text written; YAML 1.1 readers (PyYAML, Helm's
    Go YAML, most editors' linters) read a boolean, an octal number or a date. Untyped values
    (component_values) go to Helm itself. The writer must say which one is meant: quoted."""
    issues = []
    for path, note in doc.source.scalars.items():
        if not note.ambiguous:  # most are not: the model's type at the path is looked up for the others only
            continue
        annotation = _annotation_at(model, path)
        if not _takes_text(annotation):
            continue
        reading = yaml11_reading(note)
        if annotation is not Any:  # the field takes text: there is only one way to mean it
            hint = f'quote it: "{note.text}"'
        elif note.kind == "yaml11-bool":
            hint = f'write {reading} for the boolean, or quote it ("{note.text}") for the text'
        elif decimal_of(note) is not None:
            hint = f'write {decimal_of(note)} for the number, or quote it ("{note.text}") for the text'
        else:
            hint = f'quote it ("{note.text}") for the text, or write the value it stands for'
        issues.append(
            PlanIssue(
                doc.file,
                doc.source.line_of(path),
                format_path(path),
                f"{note.text} is ambiguous: YAML 1.2 reads it as {readings(note)[0]}, YAML 1.1 (PyYAML, Helm) as {reading}",
                hint,
            )
        )
    return issues


_TOKEN_MARKER = "tftoken["


def _forged_references(doc: YamlDocument) -> list[PlanIssue]:
    """Text that cdktf would take for one of its own references.

    cdktf stands ``${TfToken[TOKEN.n]}`` (and ``#{…}``, ``&{…}``) in for a reference inside a
    string and replaces it at synth; the Terraform layer escapes every ``${`` of plan text but
    cannot tell a marker written in the plan from a real one. Plan text never needs it."""
    found: list[PlanIssue] = []

    def check(text: str, path: FieldPath, what: str) -> None:
        if _TOKEN_MARKER in unicodedata.normalize("NFKC", text).casefold():
            found.append(
                PlanIssue(
                    doc.file,
                    doc.source.line_of(path),
                    format_path(path),
                    f"{what} holds 'TfToken[', the marker cdktf uses for its references: it would turn plan text into a Terraform reference",
                    "remove it; plan values are written to Terraform as literal text",
                )
            )

    def walk(value: Any, path: FieldPath) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str):
                    check(k, path + (k,), "this key")
                walk(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, path + (i,))
        elif isinstance(value, str):
            check(value, path, "the value")

    walk(doc.data, ())
    return found


def _validate(doc: YamlDocument, model: type[BaseModel]) -> tuple[Any, list[PlanIssue]]:
    undecided = _needs_clarification(doc, model) + _forged_references(doc)
    if undecided:
        return None, undecided
    ambiguous = _ambiguous_scalars(doc, model)
    try:
        obj = model.model_validate(doc.data)
    except ValidationError as exc:
        return None, ambiguous + _convert_validation_error(exc, model, doc.source)
    return (None, ambiguous) if ambiguous else (obj, [])


def _list_folder(folder: Path, what: str, issues: list[PlanIssue]) -> list[str] | None:
    """The names in ``folder``, or None after adding an issue: a folder that cannot be read
    is an error, never an empty folder (a plan that silently lost its tenants would be
    synthesized, and a GitOps sync with prune would delete their namespaces)."""
    try:
        st = os.stat(folder)
    except OSError as exc:
        message, hint = open_error(folder, exc)
        issues.append(PlanIssue(str(folder), None, "", f"the {what} {message}", hint))
        return None
    if not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else "not a file or folder"
        via = " (through a symlink)" if folder.is_symlink() else ""
        issues.append(PlanIssue(str(folder), None, "", f"the {what} is {kind}{via}, not a folder", f"{folder.name} must be a folder of YAML files"))
        return None
    try:
        with os.scandir(folder) as entries:
            return sorted(entry.name for entry in entries)
    except OSError as exc:
        message, hint = open_error(folder, exc)
        issues.append(PlanIssue(str(folder), None, "", f"the {what} cannot be listed: {message.removeprefix('cannot be read: ')}", hint))
        return None


def _plan_files(folder: Path, names: list[str], issues: list[PlanIssue]) -> list[Path]:
    """The YAML files among ``names``; a name that looks like one but would be skipped is an issue."""
    found = []
    for name in names:
        if name.endswith((".yaml", ".yml")):
            found.append(folder / name)
        elif name.lower().endswith((".yaml", ".yml")):
            issues.append(
                PlanIssue(str(folder / name), None, "", "not read: plan files end in .yaml or .yml (lowercase)", f"rename it to {name[: name.rindex('.')]}.yaml")
            )
    return found


class _PlanReader:
    """Reads and validates the files of one plan, collecting every problem and each file's source map."""

    def __init__(self) -> None:
        self.issues: list[PlanIssue] = []
        self.sources: dict[str, SourceMap] = {}

    def read(self, path: Path, model: type[BaseModel]) -> tuple[Any, YamlDocument | None]:
        """Load and validate one file; its problems go to ``issues``."""
        doc, found = load_yaml_file(path, str(path))
        self.issues.extend(found)
        if not doc:
            return None, None
        self.sources[doc.file] = doc.source
        obj, found = _validate(doc, model)
        self.issues.extend(found)
        return obj, doc

    def name_issue(self, doc: YamlDocument, message: str, hint: str = "") -> None:
        self.issues.append(PlanIssue(doc.file, doc.source.line_of(("name",)), "name", message, hint))

    def environments(self, paths: list[Path]) -> dict[str, tuple[EnvironmentPlan, str]]:
        """Each environment file, by name, with its file: named like the file, each name once."""
        environments: dict[str, tuple[EnvironmentPlan, str]] = {}
        for path in paths:
            env, doc = self.read(path, EnvironmentPlan)
            if env is None or doc is None:
                continue
            if env.name != path.stem:
                self.name_issue(doc, f"name '{env.name}' differs from the file name", f"rename the file to {env.name}.yaml or set name: {path.stem}")
            if env.name in environments:
                self.name_issue(doc, f"environment '{env.name}' is also defined in {environments[env.name][1]}")
                continue
            environments[env.name] = (env, doc.file)
        return environments

    def tenants(self, paths: list[Path]) -> dict[str, tuple[TenantPlan, str]]:
        """Each tenant file, by name, with its file: each name once."""
        tenants: dict[str, tuple[TenantPlan, str]] = {}
        for path in paths:
            tenant, doc = self.read(path, TenantPlan)
            if tenant is None or doc is None:
                continue
            if tenant.name in tenants:
                self.name_issue(doc, f"duplicate tenant name '{tenant.name}': also defined in {tenants[tenant.name][1]}", "tenant names are unique across tenants/")
                continue
            tenants[tenant.name] = (tenant, doc.file)
        return tenants


def load_plan(root: Path | str, check_lock: bool = True) -> Plan:
    """Load and check every file of a plan folder. All problems are reported at once.

    ``check_lock=False`` (for ``infraplan charts lock`` only) accepts a missing, stale or malformed charts.lock."""
    root = Path(root)
    if not os.path.lexists(root):
        raise PlanError([PlanIssue(str(root), None, "", "the plan folder does not exist", "pass --plan DIR")])
    reader = _PlanReader()
    issues = reader.issues
    names = _list_folder(root, "plan folder", issues)
    if names is None:
        raise PlanError(issues)

    platform_path = root / PLATFORM_FILE
    env_paths = [p for p in _plan_files(root, names, issues) if p.name != PLATFORM_FILE]
    tenant_paths: list[Path] = []
    if TENANTS_DIR in names:  # also a dangling symlink: listed, then reported by _list_folder
        tenant_names = _list_folder(root / TENANTS_DIR, "tenants folder", issues)
        tenant_paths = _plan_files(root / TENANTS_DIR, tenant_names or [], issues)

    platform: PlatformPlan | None = None
    if PLATFORM_FILE not in names:
        issues.append(PlanIssue(str(platform_path), None, "", "missing: every plan has a platform.yaml"))
    else:
        platform, _ = reader.read(platform_path, PlatformPlan)
    if not env_paths:
        issues.append(PlanIssue(str(root), None, "", "no environment files", "add dev.yaml (one file per environment)"))
    environments = reader.environments(env_paths)
    tenants = reader.tenants(tenant_paths)
    before_lock = len(issues)
    chart_lock, _ = reader.read(root / LOCK_FILE, ChartLockFile) if LOCK_FILE in names else (None, None)
    if not check_lock and len(issues) > before_lock:
        del issues[before_lock:]  # charts lock rewrites a malformed lock whole: refusing it would refuse the fix its hint names
        chart_lock = None

    if platform is not None and not issues:
        issues += cross_file_checks(platform, str(platform_path), environments, tenants, reader.sources)
    if platform is not None and not issues and check_lock:
        issues += lock_issues(platform, chart_lock, str(platform_path), str(root / LOCK_FILE), reader.sources)
    if issues:
        raise PlanError(issues)
    assert platform is not None
    return _checked_plan(root, platform, platform_path, environments, tenants, reader.sources, chart_lock)


def _checked_plan(
    root: Path,
    platform: PlatformPlan,
    platform_path: Path,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    sources: dict[str, SourceMap],
    chart_lock: ChartLockFile | None = None,
) -> Plan:
    """The Plan of files that passed every check: environments by tier then name, tenants by name."""
    ordered_envs = dict(sorted(((n, e) for n, (e, _) in environments.items()), key=lambda kv: (TIER_ORDER[kv[1].tier], kv[0])))
    return Plan(
        root=root,
        platform=platform,
        environments=ordered_envs,
        tenants={n: t for n, (t, _) in sorted(tenants.items())},
        sources=sources,
        files=tuple(sorted(sources)),
        origins={
            "platform": str(platform_path),
            **({"charts.lock": str(root / LOCK_FILE)} if chart_lock is not None else {}),
            **{f"environments.{n}": f for n, (_, f) in environments.items()},
            **{f"tenants.{n}": f for n, (_, f) in tenants.items()},
        },
        chart_lock=chart_lock,
        checked=True,
    )
