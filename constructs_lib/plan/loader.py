"""Read a plan folder into a validated :class:`Plan`, or raise :class:`PlanError`."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .base import NEEDS_CLARIFICATION
from .checks import cross_file_checks
from .environment import EnvironmentPlan
from .errors import FieldValueError, PlanError, PlanIssue
from .platform import PlatformPlan
from .tenant import TenantPlan
from .yaml_source import FieldPath, SourceMap, YamlDocument, format_path, load_yaml_file

PLATFORM_FILE = "platform.yaml"
TENANTS_DIR = "tenants"
TIER_ORDER = {"development": 0, "staging": 1, "production": 2}


@dataclass(frozen=True)
class Plan:
    """The whole validated plan: plan-wide decisions, environments and tenants."""

    root: Path
    platform: PlatformPlan
    environments: dict[str, EnvironmentPlan]
    tenants: dict[str, TenantPlan]
    sources: dict[str, SourceMap]
    files: tuple[str, ...]

    def environment(self, name: str) -> EnvironmentPlan:
        if name not in self.environments:
            raise PlanError([_unknown("environment", name, list(self.environments))])
        return self.environments[name]

    def tenant(self, name: str) -> TenantPlan:
        if name not in self.tenants:
            raise PlanError([_unknown("tenant", name, list(self.tenants))])
        return self.tenants[name]


def _unknown(kind: str, name: str, known: list[str]) -> PlanIssue:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"defined: {', '.join(known) or 'none'}"
    return PlanIssue("<command line>", None, "", f"no {kind} named '{name}'", hint)


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
            close = difflib.get_close_matches(str(err.get("input")), options, n=1, cutoff=0.5)
            message = f"'{err.get('input')}' is not allowed; allowed: {expected}"
            hint = f"did you mean '{close[0]}'?" if close else ""
        elif kind in ("model_type", "dict_type"):
            message = f"expected a mapping of fields here, got {type(err.get('input')).__name__}"
        elif kind == "list_type":
            message = f"expected a list here, got {type(err.get('input')).__name__}"
        issues.append(PlanIssue(source.file, source.line_of(loc), format_path(loc), message, hint))
    # A required field reported missing because it was misspelled is one mistake, not two:
    # keep the "unknown field … did you mean" issue only.
    misspelled = {
        (i.path.rsplit(".", 1)[0] if "." in i.path else "", i.hint.split("'")[1])
        for i in issues
        if i.message.startswith("unknown field") and i.hint.startswith("did you mean '")
    }
    return [i for i in issues if not (i.message == "this field is required" and (i.path.rsplit(".", 1)[0] if "." in i.path else "", i.path.rsplit(".", 1)[-1]) in misspelled)]


def _needs_clarification(doc: YamlDocument) -> list[PlanIssue]:
    found: list[PlanIssue] = []

    def walk(value: Any, path: FieldPath) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, path + (i,))
        elif isinstance(value, str) and NEEDS_CLARIFICATION in value.upper():
            found.append(
                PlanIssue(
                    doc.file,
                    doc.source.line_of(path),
                    format_path(path),
                    "still marked NEEDS CLARIFICATION",
                    "decide this value before synthesizing",
                )
            )

    walk(doc.data, ())
    return found


def _validate(doc: YamlDocument, model: type[BaseModel]) -> tuple[Any, list[PlanIssue]]:
    undecided = _needs_clarification(doc)
    if undecided:
        return None, undecided
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, _convert_validation_error(exc, model, doc.source)


def load_plan(root: Path | str) -> Plan:
    """Load and check every file of a plan folder. All problems are reported at once."""
    root = Path(root)
    if not root.is_dir():
        raise PlanError([PlanIssue(str(root), None, "", "the plan folder does not exist", "pass --plan DIR")])
    issues: list[PlanIssue] = []
    sources: dict[str, SourceMap] = {}

    def read(path: Path, model: type[BaseModel]) -> tuple[Any, YamlDocument | None]:
        """Load and validate one file; its problems go to ``issues``."""
        doc, found = load_yaml_file(path, str(path))
        issues.extend(found)
        if not doc:
            return None, None
        sources[doc.file] = doc.source
        obj, found = _validate(doc, model)
        issues.extend(found)
        return obj, doc

    def name_issue(doc: YamlDocument, message: str, hint: str = "") -> None:
        issues.append(PlanIssue(doc.file, doc.source.line_of(("name",)), "name", message, hint))

    platform_path = root / PLATFORM_FILE
    env_paths = sorted(p for p in [*root.glob("*.yaml"), *root.glob("*.yml")] if p.name != PLATFORM_FILE)
    tenants_dir = root / TENANTS_DIR
    tenant_paths = sorted([*tenants_dir.glob("*.yaml"), *tenants_dir.glob("*.yml")]) if tenants_dir.is_dir() else []

    platform: PlatformPlan | None = None
    if not platform_path.is_file():
        issues.append(PlanIssue(str(platform_path), None, "", "missing: every plan has a platform.yaml"))
    else:
        platform, _ = read(platform_path, PlatformPlan)
    if not env_paths:
        issues.append(PlanIssue(str(root), None, "", "no environment files", "add dev.yaml (one file per environment)"))

    environments: dict[str, tuple[EnvironmentPlan, str]] = {}
    for path in env_paths:
        env, doc = read(path, EnvironmentPlan)
        if env is None or doc is None:
            continue
        if env.name != path.stem:
            name_issue(doc, f"name '{env.name}' differs from the file name", f"rename the file to {env.name}.yaml or set name: {path.stem}")
        if env.name in environments:
            name_issue(doc, f"environment '{env.name}' is also defined in {environments[env.name][1]}")
            continue
        environments[env.name] = (env, doc.file)

    tenants: dict[str, tuple[TenantPlan, str]] = {}
    for path in tenant_paths:
        tenant, doc = read(path, TenantPlan)
        if tenant is None or doc is None:
            continue
        if tenant.name in tenants:
            name_issue(doc, f"duplicate tenant name '{tenant.name}': also defined in {tenants[tenant.name][1]}", "tenant names are unique across tenants/")
            continue
        tenants[tenant.name] = (tenant, doc.file)

    if platform is not None and not issues:
        issues += cross_file_checks(platform, str(platform_path), environments, tenants, sources)
    if issues:
        raise PlanError(issues)
    assert platform is not None
    ordered_envs = dict(sorted(((n, e) for n, (e, _) in environments.items()), key=lambda kv: (TIER_ORDER[kv[1].tier], kv[0])))
    return Plan(
        root=root,
        platform=platform,
        environments=ordered_envs,
        tenants={n: t for n, (t, _) in sorted(tenants.items())},
        sources=sources,
        files=tuple(sorted(sources)),
    )
