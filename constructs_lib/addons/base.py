"""What an add-on is: one module per add-on says everything infraplan knows about it.

An :class:`AddOn` holds, for one component a plan may list (or that infraplan always
installs):

- its chart, from the chart catalog (``constructs_lib/data/charts.yaml``: repository,
  exact version, namespace, release, sync wave);
- when it is enabled by the plan;
- its Helm values, **per chart series** (the major, or 0.<minor> for 0.x charts; a plan
  may pin another major of a chart; a series with no values function is refused, never guessed);
- its GitOps settings that are not Helm values (the ClusterIssuer, the secret
  stores' identity) and the reason for them: a frozen dataclass of its module, a subclass of
  :class:`AddOnSettings` (None for an add-on without any), read by attribute;
- its IRSA role, if it needs AWS: namespace, service account, role-name suffix, and
  its policy (statements or AWS managed policies; never a default);
- the cluster configuration objects that ship beside it (the ClusterIssuer, the
  ClusterSecretStores), built from the resolved GitOps model.

Resolution (``resolve/addons.py``, ``resolve/cluster.py``), the Terraform IRSA roles,
the GitOps tree and the Pulumi program read add-ons only through this registry, so
adding one touches its module, the chart catalog and its tests.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps
    from ..resolve.model import ClusterDns, IrsaRole


class UnknownAddOn(KeyError):
    """A component name no add-on module defines."""

    def __str__(self) -> str:
        return f"no add-on named '{self.args[0]}'"


@dataclass(frozen=True)
class ChartRef:
    """A chart pinned in the chart catalog, or locked from the plan's constraint (charts.lock)."""

    component: str
    repo_url: str
    chart: str
    version: str
    maintainer: str  # official | community
    namespace: str
    release: str
    sync_wave: int
    digest: str | None = None  # sha256 of the locked chart (charts.lock); None: the catalog's pin
    constraint: str | None = None  # the plan's constraint the lock resolved; None: the catalog's exact pin

    @property
    def source_url(self) -> str:
        """The repoURL of an Argo CD Application: an OCI registry without oci:// (Argo CD 2.14 and 3.0 read
        a URL without a scheme as OCI); Helm, kustomize and Pulumi take ``repo_url`` itself."""
        return self.repo_url.removeprefix("oci://")

    @property
    def pinned_by(self) -> str:
        """Where the version came from, in words (explain)."""
        if self.constraint is None:
            return "infraplan's chart catalog (constructs_lib/data/charts.yaml)"
        return f"charts.lock: platform.yaml charts.{self.component}.version '{self.constraint}' locked to {self.version}" + (f" ({self.digest})" if self.digest else "")

    @property
    def series(self) -> str:
        return chart_series(self.version)


def chart_series(version: str) -> str:
    """The release series whose values keys are stable: the major, or ``0.<minor>`` for a 0.x chart
    (semantic versioning allows breaking changes in every 0.x minor)."""
    parts = version.lstrip("v").split(".")
    return f"0.{parts[1]}" if parts[0] == "0" else parts[0]


@cache
def chart_catalog() -> dict[str, ChartRef]:
    data = yaml.safe_load(resources.files("constructs_lib.data").joinpath("charts.yaml").read_text(encoding="utf-8"))
    return {name: ChartRef(component=name, **{k: (str(v) if k == "version" else v) for k, v in spec.items()}) for name, spec in data.items()}


CRITICAL_ADDONS_ONLY = "CriticalAddonsOnly"
"""The taint key that reserves nodes for the cluster's critical add-ons (a Kubernetes convention
EKS's own add-ons tolerate): a node group tainted with it is the cluster's system node group."""


@dataclass(frozen=True)
class SystemNodes:
    """Where a cluster's add-ons run: its node groups tainted ``CriticalAddonsOnly``.

    Every add-on pod tolerates their taints and selects them by ``node_selector`` (their
    common labels); a DaemonSet tolerates every taint instead (as EKS's own node agents do), to run on every node."""

    node_groups: tuple[str, ...]
    tolerations: tuple[dict[str, str], ...]  # Kubernetes Tolerations of the system groups' taints
    node_selector: dict[str, str] = field(hash=False)

    @property
    def reason(self) -> str:
        selector = ", ".join(f"{k}={v}" for k, v in sorted(self.node_selector.items()))
        return f"system node group {', '.join(self.node_groups)}: add-on pods tolerate its taints and select it by {selector}"


@dataclass(frozen=True)
class PodPlacement:
    """Where one pod template of an add-on reads its scheduling in its chart values (or its EKS
    add-on configuration): ``<path>.tolerations`` and ``<path>.nodeSelector``, read from the
    chart's templates at the pinned version.

    ``every_node``: a DaemonSet that must run on every node (tolerates every taint, keeps the
    chart's node selector)."""

    path: str  # dotted values path of the pod's settings; "" = the top level
    every_node: bool = False


TOLERATE_EVERY_TAINT = {"operator": "Exists"}  # no key: matches every taint, whatever its effect


def place_pods(values: dict[str, Any], pods: tuple[PodPlacement, ...], system: SystemNodes | None) -> dict[str, Any]:
    """``values`` with each pod template of ``pods`` on the system node group (unchanged without one)."""
    if system is None or not pods:
        return values
    out = copy.deepcopy(values)
    for pod in pods:
        node: dict[str, Any] = out
        for part in pod.path.split(".") if pod.path else ():
            node = node.setdefault(part, {})
        if pod.every_node:
            node["tolerations"] = [dict(TOLERATE_EVERY_TAINT)]
        else:
            node["tolerations"] = [dict(t) for t in system.tolerations]
            node["nodeSelector"] = dict(system.node_selector)
    return out


@dataclass(frozen=True)
class AddOnContext:
    """What an add-on's values and settings may depend on."""

    tier: str
    cluster_name: str
    region: str
    roles: tuple[IrsaRole, ...]
    platform: PlatformPlan
    system: SystemNodes | None = None  # where add-on pods run, when the cluster has a system node group
    dns: ClusterDns | None = None  # the environment's domain and Route 53 zone
    vpc_name: str | None = None  # the Name tag of the cluster's VPC (controllers that cannot ask IMDS find it by tag)
    environment: str = ""  # the environment's name (a cluster's key is it, or <environment>-<tenant or region>)

    @property
    def ha(self) -> bool:
        return self.tier == "production"

    @property
    def replicas(self) -> int:
        return {"development": 1, "staging": 2, "production": 3}[self.tier]

    def irsa(self, component: str) -> IrsaRole | None:
        return next((r for r in self.roles if r.component == component), None)

    def has(self, component: str) -> bool:
        """Whether the plan lists ``component`` (an add-on's values may adapt to its neighbours)."""
        return component in self.platform.components


@dataclass(frozen=True)
class PolicyStatement:
    """One Allow statement of an IRSA role's inline policy (resources fully resolved)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (operator, key, values): all must hold


@dataclass(frozen=True)
class IrsaPolicyInputs:
    """What an IRSA policy may name: everything is resolved before the policy is built."""

    account_id: str
    hosted_zone_id: str | None
    cluster_name: str = ""  # the cluster whose controller the role serves
    region: str = ""  # where that cluster runs
    domain: str | None = None  # the environment's DNS domain (the names its zone holds)


@dataclass(frozen=True)
class IrsaSpec:
    """The AWS identity of an add-on's controller (IAM Roles for Service Accounts).

    Exactly one of ``statements`` (an inline least-privilege policy) and
    ``managed_policies`` (AWS managed policy ARNs) describes its rights."""

    component: str  # the role is <cluster>-irsa-<component>
    namespace: str
    service_account: str
    statements: Callable[[IrsaPolicyInputs], tuple[PolicyStatement, ...]] | None = None
    managed_policies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.statements is None) == (not self.managed_policies):
            raise ValueError(f"IRSA role of {self.component}: give either policy statements or managed policies, not both or neither")

    @property
    def role_suffix(self) -> str:
        return f"-irsa-{self.component}"


@dataclass(frozen=True)
class AddOnSettings:
    """The base of every add-on's GitOps settings that are not Helm values (its module defines a
    frozen subclass with typed, documented fields). Typed rather than a dict so that a reader's typo
    is an AttributeError, and reading another add-on's settings a TypeError
    (``ResolvedAddon.settings_as``), never a silent default."""


ValuesFn = Callable[[AddOnContext], dict[str, Any]]
SettingsFn = Callable[[AddOnContext], tuple[AddOnSettings | None, str]]
ConfigFn = Callable[["ClusterGitOps", "ResolvedAddon"], dict[str, dict]]


def _no_settings(ctx: AddOnContext) -> tuple[AddOnSettings | None, str]:
    return None, ""


def _no_config(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    return {}


@dataclass(frozen=True)
class AddOn:
    """A Helm-chart add-on of every cluster whose plan enables it."""

    name: str
    values_by_series: Mapping[str, ValuesFn]
    enabled: Callable[[PlatformPlan], bool]
    irsa: IrsaSpec | None = None
    irsa_when: Callable[[PlatformPlan], bool] = field(default=lambda platform: True)  # the role only where its controller needs AWS
    settings: SettingsFn = _no_settings
    config_objects: ConfigFn = _no_config
    listed_in_plan: bool = True  # False: enabled by another decision (ArgoCD by gitops.tool)
    pods: tuple[PodPlacement, ...] = ()  # every pod template the chart renders, for each series infraplan has values for
    pods_by_series: Mapping[str, tuple[PodPlacement, ...]] = field(default_factory=dict)  # a series whose pod templates differ from ``pods``
    # series -> kind -> apiVersion of the custom resources infraplan writes for this chart's CRDs: the
    # version that series serves (a chart major may stop serving one, as external-secrets 0.17 does v1beta1)
    api_versions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def chart(self) -> ChartRef:
        catalog = chart_catalog()
        if self.name not in catalog:
            raise ValueError(f"add-on {self.name} has no chart in constructs_lib/data/charts.yaml")
        return catalog[self.name]

    @property
    def series(self) -> tuple[str, ...]:
        return tuple(sorted(self.values_by_series, key=lambda s: tuple(int(p) for p in s.split("."))))

    def supports(self, version: str) -> bool:
        return chart_series(version) in self.values_by_series

    def unsupported(self, version: str) -> str | None:
        """Why infraplan cannot install ``version`` of this add-on's chart (it has no values for its
        series: keys change between majors, so none is guessed), or None. One message for every chart
        and for every way a version is chosen."""
        if self.supports(version):
            return None
        chart = self.chart
        return (
            f"infraplan has no values for {chart.chart} {chart_series(version)}.x (version {version}); it supports "
            f"{chart.chart} {', '.join(s + '.x' for s in self.series)} (the catalog pins {chart.version})"
        )

    def values(self, ctx: AddOnContext, chart: ChartRef) -> dict[str, Any]:
        """Helm values for ``chart`` (this add-on's chart, possibly at another version)."""
        fn = self.values_by_series.get(chart.series)
        if fn is None:
            raise ValueError(self.unsupported(chart.version))
        return place_pods(fn(ctx), self.pods_for(chart), ctx.system)

    def pods_for(self, chart: ChartRef) -> tuple[PodPlacement, ...]:
        """The pod templates ``chart``'s series renders (a major may add or drop one)."""
        return self.pods_by_series.get(chart.series, self.pods)

    def api_version(self, chart: ChartRef, kind: str) -> str:
        """The apiVersion of ``kind`` that ``chart``'s CRDs serve (what the tree writes for it)."""
        by_kind = self.api_versions.get(chart.series)
        if by_kind is None or kind not in by_kind:
            raise ValueError(f"{chart.chart} {chart.version}: infraplan knows no served apiVersion of {kind} for series {chart.series}")
        return by_kind[kind]


@dataclass(frozen=True)
class EksAddOn:
    """An add-on EKS installs and upgrades itself (``aws_eks_addon``, versions in
    ``constructs_lib/data/eks_addons.yaml``); the registry holds what infraplan adds to it."""

    name: str  # the EKS add-on name
    irsa: IrsaSpec | None = None
    config_objects: Callable[["ClusterGitOps"], dict[str, dict]] | None = None  # what the cluster needs beside it
    configuration: Mapping[str, Any] | None = None  # configuration_values, in the add-on version's own schema
    pods: tuple[PodPlacement, ...] = ()  # pod templates in that schema that run on the system node group

    def configuration_for(self, system: SystemNodes | None) -> dict[str, Any] | None:
        """``configuration`` with the add-on's pods on the cluster's system node group, if any."""
        out = place_pods(dict(self.configuration or {}), self.pods, system)
        return out or None
