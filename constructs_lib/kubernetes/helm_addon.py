"""An add-on of the registry (``constructs_lib/addons/``) as a construct: the ArgoCD
Application of its pinned chart with its values, the configuration that ships beside it,
and (through the tree) its chart repository's Secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..addons import CHART_ADDONS, UnknownAddOn
from ..addons import addon as registered_addon
from ..addons.base import ChartRef
from ..resolve.addons import ResolvedAddon
from ..resolve.gitops import PLATFORM_PROJECT
from . import argocd
from .tree_base import KUSTOMIZE_API, ConstructError, TreeConstruct, check_dns_label, check_objects, folder_files, tree_of
from .tree_node import Construct
from .yaml_out import dump

METHODS = ("helm", "kustomize")


def registry_chart(construct: str, component: str) -> ChartRef:
    """The chart the registry pins for ``component`` (``constructs_lib/data/charts.yaml``)."""
    try:
        return registered_addon(component).chart
    except UnknownAddOn:
        raise ConstructError(construct, f"component={component!r} is no add-on of the registry", f"use one of {', '.join(sorted(CHART_ADDONS))}, or give chart=ChartRef(...)") from None


class HelmAddOn(TreeConstruct):
    """``infrastructure/<component>/``: an add-on's Application, in the platform project.

    Keyword-only props:

    - ``component``: the add-on's name in the registry (``cert-manager``, ``external-dns``, ...). Required.
    - ``values``: the Helm values, passed to the chart exactly (nothing is added). Default ``{}``:
      the chart's own defaults.
    - ``chart``: the pinned chart. Default the registry's pin (``constructs_lib/data/charts.yaml``):
      an exact version, its namespace, release name and sync wave.
    - ``method``: ``"helm"`` (an Application with a Helm source) or ``"kustomize"`` (a kustomization
      inflating the chart, for repositories that render charts themselves). Default ``"helm"``.
    - ``config_objects``: objects that ship beside it (file name -> object), e.g. a ClusterIssuer.
      Default none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        component: str,
        values: Mapping[str, Any] | None = None,
        chart: ChartRef | None = None,
        method: Literal["helm", "kustomize"] = "helm",
        config_objects: Mapping[str, dict] | None = None,
    ):
        name = f"HelmAddOn {id!r}"
        check_dns_label(name, "component", component)
        if component == "argocd":
            raise ConstructError(name, "component='argocd' is ArgoCD itself", "use tree.add_argocd(...) (ArgoCdBootstrap), which installs it before every Application")
        chart = chart if chart is not None else registry_chart(name, component)
        if chart.component != component:
            raise ConstructError(name, f"chart is the pin of {chart.component!r}, not of component={component!r}", f"give the chart of {component} or leave chart out")
        if not chart.version or chart.version in ("latest", "*"):
            raise ConstructError(name, f"chart version {chart.version!r} is not pinned", "give an exact chart version")
        if method not in METHODS:
            raise ConstructError(name, f"method={method!r} is unknown", f"use one of {', '.join(METHODS)}")
        if values is not None and (not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values)):
            raise ConstructError(name, f"values={values!r} is not a mapping of Helm values", "give a dict with string keys, as values.yaml would hold")
        self.config = check_objects(name, "config_objects", config_objects or {}, reserved=("kustomization.yaml", "application.yaml"))
        tree = tree_of(scope, name)
        if any(a.component == component for a in tree.addons()):
            raise ConstructError(name, f"tree {tree.key!r} already installs {component!r}", "add each add-on once; give all its values in one call")
        super().__init__(scope, id)
        self.component, self.chart, self.method = component, chart, method
        self.values: dict[str, Any] = dict(values or {})

    @classmethod
    def from_resolved(cls, scope: Construct, addon: ResolvedAddon, config_objects: Mapping[str, dict]) -> HelmAddOn:
        """The plan's front end: an add-on as resolution decided it."""
        return cls(scope, f"addon-{addon.component}", component=addon.component, values=addon.values, chart=addon.chart, method=addon.method, config_objects=config_objects)  # type: ignore[arg-type]

    @property
    def resolved(self) -> ResolvedAddon:
        return ResolvedAddon(self.component, self.method, "", self.chart, self.values)

    def application(self) -> dict:
        """The Application of the chart: with ``method="helm"``, the chart and ``values`` exactly (the
        contract the Pulumi program shares); otherwise the kustomization folder inflating it."""
        tree = self.tree
        if self.method == "helm":
            return argocd.helm_application(tree, self.resolved, PLATFORM_PROJECT)
        c = self.chart
        app = argocd.git_application(tree, self.component, tree.path("infrastructure", self.component, "chart"), PLATFORM_PROJECT, c.namespace, c.sync_wave)
        app["spec"]["syncPolicy"]["syncOptions"].insert(0, "CreateNamespace=true")
        return app

    def _chart_kustomization(self) -> dict:
        """Kustomize inflates the pinned chart (ArgoCD needs kustomize.buildOptions: --enable-helm)."""
        c = self.chart
        chart = {
            "name": c.chart,
            "repo": c.repo_url,
            "version": c.version,
            "releaseName": c.release,
            "namespace": c.namespace,
            "includeCRDs": True,
            "valuesInline": self.values,
        }
        return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "namespace": c.namespace, "helmCharts": [chart]}

    def files(self) -> dict[str, str]:
        folder = f"infrastructure/{self.component}"
        files = {f"{folder}/chart/kustomization.yaml": dump(self._chart_kustomization())} if self.method == "kustomize" else {}
        files.update(folder_files(folder, {"application.yaml": self.application(), **self.config}))
        return files

    def entries(self) -> tuple[tuple[str, str], ...]:
        return (("infrastructure", self.component),)
