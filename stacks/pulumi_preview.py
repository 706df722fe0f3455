"""``infraplan preview --env E``: run the Pulumi program offline under mocks and print its resource plan.

No Pulumi CLI, engine, state or cluster is involved: ``pulumi.runtime.set_mocks``
replaces the engine, each resource's inputs are recorded as the program
registers them, and nothing is created anywhere. The real thing is
``pulumi preview --stack E`` (docs/pulumi.md).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pulumi
import pulumi.runtime

from pulumi.runtime import rpc

PROJECT = "infraplan"  # the name in Pulumi.yaml
OFFLINE_KUBECONFIG = "offline-preview: no cluster"  # what providers get in the offline preview


def offline_credential(config_key: str) -> str:
    """What the GitOps repository Secret holds in the offline preview: the name of the config key, no secret."""
    return f"offline-preview: secret config {config_key}"


@dataclass
class RecordedResource:
    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool | None
    # the resource options the engine would act on (retain_on_delete, ignore_changes, depends_on by name):
    # MockResourceArgs carries none, so a stack transformation records them (RecordingMocks.capture_options)
    options: dict[str, Any] = field(default_factory=dict)
    secret_paths: tuple[str, ...] = ()  # the inputs the program passed as secrets, as dotted paths


def secret_paths(value: Any, path: str = "") -> list[str]:
    """Where ``value`` holds secret envelopes."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return [path]
        return [p for k, v in value.items() for p in secret_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in secret_paths(v, f"{path}[{n}]")]
    return []


def unwrap_secrets(value: Any) -> Any:
    """Inputs as the program gave them: secret envelopes (``{<sig>: <secret sig>, "value": v}``) replaced by ``v``."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that record every resource the program registers and echo its inputs back as outputs."""

    resources: list[RecordedResource] = field(default_factory=list)
    options: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def capture_options(self, args: pulumi.ResourceTransformationArgs) -> None:
        """A stack transformation: sees every resource's options before it is registered, changes nothing."""
        o = args.opts
        self.options[(args.type_, args.name)] = {
            "retain_on_delete": bool(o.retain_on_delete),
            "ignore_changes": list(o.ignore_changes or []),
            "protect": bool(o.protect),
            "delete_before_replace": bool(o.delete_before_replace),
            "depends_on": sorted(d._name for d in (o.depends_on or []) if isinstance(d, pulumi.Resource)),  # type: ignore[union-attr]
        }
        return None

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        options = self.options.get((args.typ, args.name), {})
        self.resources.append(RecordedResource(args.typ, args.name, unwrap_secrets(inputs), args.provider, args.custom, options, tuple(secret_paths(inputs))))
        return f"{args.name}-id", inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.typ == typ]

    def named(self, name: str) -> RecordedResource:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name}; have {[r.name for r in self.resources]}")
        return found[0]


@dataclass
class OfflineRun:
    exports: dict[str, Any]
    mocks: RecordingMocks

    @property
    def resources(self) -> list[RecordedResource]:
        return self.mocks.resources


def run_offline(program: Callable[[], dict[str, Any]], stack: str, preview: bool = True, config: dict[str, str] | None = None, secret_keys: list[str] | None = None) -> OfflineRun:
    """Run ``program`` under recording mocks and return its resolved exports and the recorded resources."""
    mocks = RecordingMocks()
    exports: dict[str, Any] = {}
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview)
    try:

        @pulumi.runtime.test
        def _run():
            pulumi.runtime.register_stack_transformation(mocks.capture_options)
            return pulumi.Output.from_input(program()).apply(exports.update)

        _run()
    finally:
        pulumi.runtime.set_all_config({}, [])
    return OfflineRun(exports, mocks)


def offline_program(plan_dir: Path, env_name: str) -> Callable[[], dict[str, Any]]:
    from .pulumi_program import program

    return lambda: program(
        plan_dir,
        env_name,
        kubeconfig_for=lambda cb: OFFLINE_KUBECONFIG,
        credential_for=lambda rc: {key: offline_credential(f"{PROJECT}:{k}") for key, k in rc.config_keys.items()},
    )


def key_inputs(r: RecordedResource) -> str:
    """The inputs worth reading in a plan, one line."""
    i = r.inputs
    if r.typ == "kubernetes:helm.sh/v3:Release":
        repo = (i.get("repositoryOpts") or {}).get("repo", "")
        return f"{i.get('chart')} {i.get('version')} from {repo} → namespace {i.get('namespace')}, release {i.get('name')}, {len(i.get('values') or {})} top-level values"
    if r.typ == "kubernetes:core/v1:Secret":
        meta = i.get("metadata") or {}
        data = i.get("stringData") or {}
        credential = sorted(set(data) - {"type", "url", "name"})
        return (
            f"{meta.get('namespace')}/{meta.get('name')} ({(meta.get('labels') or {}).get('argocd.argoproj.io/secret-type', i.get('type'))}) url {data.get('url')}"
            + (f", {', '.join(credential)} from secret stack config" if credential else "")
        )
    if r.typ == "kubernetes:argoproj.io/v1alpha1:AppProject":
        meta = i.get("metadata") or {}
        spec = i.get("spec") or {}
        scope = "cluster-scoped kinds allowed" if spec.get("clusterResourceWhitelist") else "namespaced kinds only"
        return f"{meta.get('namespace')}/{meta.get('name')}: {len(spec.get('sourceRepos') or [])} source repos, {len(spec.get('destinations') or [])} destinations, {scope}"
    if r.typ.startswith("kubernetes:argoproj.io/"):
        meta = i.get("metadata") or {}
        spec = i.get("spec") or {}
        src = spec.get("source") or {}
        return f"{meta.get('namespace')}/{meta.get('name')} project {spec.get('project')}: {src.get('repoURL')} @ {src.get('targetRevision')} path {src.get('path')}"
    if r.typ == "pulumi:providers:kubernetes":
        return f"cluster {i.get('clusterIdentifier')}; kubeconfig from eks:DescribeCluster or stack config (offline: none)"
    if r.typ == COMPONENT:
        return "component: parents the cluster's provider and everything below (each aliased to its URN from before the component)"
    if r.typ == "kubernetes:yaml/v2:ConfigGroup":
        kinds: dict[str, int] = {}
        for obj in i.get("objs") or []:
            kinds[obj.get("kind", "?")] = kinds.get(obj.get("kind", "?"), 0) + 1
        return f"{sum(kinds.values())} objects: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    return ""


def key_options(r: RecordedResource) -> str:
    """The options that decide what `pulumi up` and `pulumi destroy` do to the object later."""
    o = r.options
    parts = []
    if o.get("retain_on_delete"):
        parts.append("retained on delete")
    ignored = o.get("ignore_changes") or []
    if ignored and set(ignored) >= set(r.inputs) - {"compat"}:  # compat: the SDK's own constant
        parts.append("ignores changes to every input")
    elif ignored:
        parts.append(f"ignores changes to {', '.join(ignored)}")
    return "; ".join(parts)


COMPONENT = "infraplan:index:ClusterBootstrap"  # constructs_lib/pulumi/cluster_bootstrap.py: COMPONENT_TYPE
TYPE_ORDER = {COMPONENT: -1, "pulumi:providers:kubernetes": 0, "kubernetes:helm.sh/v3:Release": 1, "kubernetes:core/v1:Secret": 2}


def plan_order(resources: list[RecordedResource]) -> list[RecordedResource]:
    """Stable order for the table: by cluster (provider), then providers, releases, Secrets, the rest; then by name."""
    index = {r.name: n for n, r in enumerate(resources) if r.typ == "pulumi:providers:kubernetes"}

    def cluster(r: RecordedResource) -> int:
        if r.typ == "pulumi:providers:kubernetes":
            return index[r.name]
        if r.typ == COMPONENT:  # its provider is <name>-cluster
            return index.get(f"{r.name}-cluster", len(index))
        provider_name = (r.provider or "").split("::")[-2] if r.provider and "::" in r.provider else ""
        return index.get(provider_name, len(index))

    return sorted(resources, key=lambda r: (cluster(r), TYPE_ORDER.get(r.typ, 9), r.name))


def cmd_preview(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .pulumi_program import BootstrapByHand, ClusterConnectionMissing

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(width=320, highlight=False)
    plan = Path(args.plan)
    try:
        run = run_offline(offline_program(plan, args.env), stack=args.env)
    except BootstrapByHand as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(str(exc), markup=False, style="red")
        return 2
    except ClusterConnectionMissing as exc:  # cannot happen offline (no connection is looked up), kept for clarity
        Console(stderr=True).print(f"[red]{exc}[/]")
        return 2
    console.print(
        f"[bold yellow]Offline preview[/] of Pulumi stack [bold]{args.env}[/] (plan {plan}): the program ran under pulumi.runtime mocks; "
        "no Pulumi engine, state or cluster was contacted and nothing was created."
    )
    table = Table(title=f"{PROJECT} · {args.env} · resource plan (offline)")
    table.add_column("type", no_wrap=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("key inputs")
    table.add_column("lifecycle")
    for r in plan_order(run.resources):
        table.add_row(r.typ, r.name, key_inputs(r), key_options(r))
    console.print(table)
    exports = run.exports
    console.print(f"[bold]exports[/]: environment={exports['environment']} gitopsTool={exports['gitopsTool']} argocdNamespace={exports['argocdNamespace']} rootApplication={exports['rootApplication']}")
    for key, c in exports["clusters"].items():
        versions = ", ".join(f"{k}={v}" for k, v in c["chartVersions"].items())
        console.print(f"  {key} ({c['clusterName']}, {c['mode']}): {versions}")
    retained = [r.name for r in run.resources if r.options.get("retain_on_delete")]
    if retained:
        console.print(f"{len(retained)} of them stay on the cluster after `pulumi destroy` (retained: ArgoCD runs on from Git; docs/pulumi.md says how to remove it).")
    stacks = ", ".join(f"[bold]pulumi preview --stack {key}[/]" for key in exports["clusters"])
    console.print(
        f"{len(run.resources)} resources would be created. For the real preview, one Pulumi stack per cluster, with the Pulumi CLI, the cluster's "
        f"credentials and a route to its endpoint: {stacks} (docs/pulumi.md)."
    )
    return 0
