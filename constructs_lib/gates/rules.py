"""The rules a constitution gate may name (``constitution[].rule``), their parameters and the tools they need.

Pure data and pydantic models: the plan model validates ``rule`` and ``params`` against this
table (an unknown id is refused with the closest one), ``infraplan check`` runs them
(``constructs_lib/gates/runner.py``). docs/check.md describes each rule.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The tools ``validation:`` may select, and what each one is at run time.
TOOLS: dict[str, str] = {
    "terraform-validate": "the terraform CLI (terraform init -backend=false, validate, providers schema)",
    "kustomize-build": "kubectl (kubectl kustomize)",
    "kubernetes-validate": "the kubernetes-validate Python package (pip install 'infraplan[check]')",
    "crd-schema": "the CRD schemas shipped with infraplan, checked with the jsonschema package (pip install 'infraplan[check]')",
    "checkov": "checkov (its own virtualenv; --checkov PATH or INFRAPLAN_CHECKOV)",
}
TOOL_ALIASES = {"argocd-schema": "crd-schema"}  # the name plans used before the add-ons' CRDs were checked too
SUPPORTED_TOOLS: tuple[str, ...] = (*TOOLS, *TOOL_ALIASES)


def tool_name(tool: str) -> str:
    """The tool a ``validation:`` entry selects (an alias names the tool it stood for)."""
    return TOOL_ALIASES.get(tool, tool)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoParams(_Params):
    """The rule takes no parameters."""


class CheckovParams(_Params):
    accepted_findings: str | None = Field(
        None, description="The accepted-findings file, relative to the plan folder (policy/checkov-accepted.yaml's format); every other finding fails."
    )
    frameworks: list[str] = Field(default_factory=lambda: ["terraform", "kubernetes"], min_length=1)

    def model_post_init(self, _context: Any) -> None:
        for f in self.frameworks:
            if f not in ("terraform", "kubernetes"):
                raise ValueError(f"framework '{f}' is not scanned by infraplan check: use terraform and/or kubernetes")


class MinAzsParams(_Params):
    min: int = Field(3, ge=1, le=6, description="Each subnet tier of each network spans at least this many availability zones.")
    environments: dict[str, int] = Field(default_factory=dict, description="Per environment, replacing min there.")

    def model_post_init(self, _context: Any) -> None:
        for env, n in self.environments.items():
            if not 1 <= n <= 6:
                raise ValueError(f"environments.{env}: {n} is not between 1 and 6")


class DataResidencyParams(_Params):
    regions: list[str] = Field(
        default_factory=list, description="Allowed region prefixes (eu-, us-); left out, constraints.data_residency's."
    )


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str  # what a PASS proves, one line
    tools: tuple[str, ...] = ()  # every one must be selected in validation: and installed
    params: type[_Params] = NoParams


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("plan-validates", "the plan passes infraplan validate (every check synth depends on)"),
        Rule("terraform-validate", "every Terraform stack passes terraform init -backend=false and terraform validate", ("terraform-validate",)),
        Rule("provider-schema", "every resource, data source, attribute and block the stacks use exists in the AWS provider's schema, with its type", ("terraform-validate",)),
        Rule(
            "manifests-validate",
            "every kustomization builds, every core object passes kubernetes-validate (strict), every custom resource its CRD's schema",
            ("kustomize-build", "kubernetes-validate", "crd-schema"),
        ),
        Rule("pinned-versions", "every Helm chart, Git source and container image in the GitOps tree is pinned to an exact version"),
        Rule("checkov", "checkov finds nothing outside the accepted-findings file", ("checkov",), CheckovParams),
        Rule("encryption-at-rest", "every database, volume, bucket, table, log group, secret and the clusters' secrets are encrypted at rest"),
        Rule("no-public-endpoints", "no database, cluster API or bucket is reachable from the internet; no security group admits it"),
        Rule("min-azs", "every subnet tier of every network spans at least the given number of availability zones", (), MinAzsParams),
        Rule("tenant-isolation", "every tenant namespace has its default-deny NetworkPolicies, quota, limits, restricted Pod Security; its AppProject deploys only there"),
        Rule("data-residency", "every region a stack or cluster uses starts with an allowed prefix", (), DataResidencyParams),
        Rule("complexity-justified", "every choice that adds complexity (a dedicated cluster, multi-region) has a complexity_tracking entry naming it, and every entry names a choice the plan makes"),
    )
}


class RuleError(ValueError):
    """A gate's rule or params cannot be used; ``path`` is below the gate (``("rule",)``, ``("params", "min")``)."""

    def __init__(self, path: tuple[str | int, ...], message: str, hint: str = ""):
        super().__init__(message)
        self.path, self.message, self.hint = path, message, hint


def check_rule(rule: str, params: dict[str, Any]) -> _Params:
    """The rule's parsed params; raises RuleError naming the closest rule id or the bad param."""
    if rule not in RULES:
        close = difflib.get_close_matches(rule, RULES, n=1, cutoff=0.5)
        return _raise(("rule",), f"unknown rule '{rule}'", (f"did you mean '{close[0]}'? " if close else "") + f"rules: {', '.join(RULES)}")
    model = RULES[rule].params
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        allowed = ", ".join(model.model_fields) or "none"
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + f"params of {rule}: {allowed}"
            return _raise(("params", *loc), f"unknown parameter '{loc[-1]}' for rule {rule}", hint)
        message = str(error["msg"]).removeprefix("Value error, ")
        return _raise(("params", *loc), message, f"params of {rule}: {allowed} (docs/check.md)")


def _raise(path: tuple[str | int, ...], message: str, hint: str) -> Any:
    raise RuleError(path, message, hint)


def unknown_tool(tool: str) -> tuple[str, str] | None:
    """(message, hint) for a ``validation:`` entry infraplan cannot run, else None."""
    if tool in SUPPORTED_TOOLS:
        return None
    close = difflib.get_close_matches(tool, SUPPORTED_TOOLS, n=1, cutoff=0.4)
    return (
        f"'{tool}' is not a validation tool infraplan check runs",
        (f"did you mean '{close[0]}'? " if close else "") + f"supported: {', '.join(SUPPORTED_TOOLS)}",
    )
