"""A tenant's app as a construct: ``apps/<app>/base`` (Deployment and Service, restricted
security context) and ``apps/<app>/overlays/<env>`` (image tag, environment label, the Ingress
of its host, the ExternalSecret of its database credentials). The tree's apps ApplicationSet
(``argocd/applications/apps.yaml``) gives it an Application in its tenant's project."""

from __future__ import annotations

import re

from ..addons.external_secrets import ADDON as EXTERNAL_SECRETS
from ..resolve.gitops import AppSpec
from .external_secrets import API as EXTERNAL_SECRETS_API
from ..resolve.model import ResolvedApp
from . import apps as app_objects
from .tree_base import ConstructError, TreeConstruct, check_dns_label, folder_files, positive_quantity, tree_of
from .tree_node import Construct
from .yaml_out import dump

IMAGE = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")  # a repository, no tag or digest
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
HOST = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _check(label: str, a: ResolvedApp, s: AppSpec) -> None:
    check_dns_label(label, "name", a.name)
    check_dns_label(label, "namespace", a.namespace)
    if not IMAGE.match(a.image):
        raise ConstructError(label, f"image={a.image!r} is not an image repository", "give the repository without tag (the tag goes in tag=), e.g. 'ghcr.io/acme/shop'")
    if not TAG.match(a.tag) or a.tag == "latest":
        raise ConstructError(label, f"tag={a.tag!r} is not a pinned image tag", "give a release tag such as '1.4.2' (never 'latest': overlays pin what runs)")
    if not 1 <= a.port <= 65535 or a.replicas < 1:
        raise ConstructError(label, f"port={a.port} replicas={a.replicas}", "give a port in 1-65535 and at least one replica")
    if a.host is not None and not HOST.match(a.host):
        raise ConstructError(label, f"host={a.host!r} is not a DNS name", "give the app's full host name, e.g. 'shop.dev.acme.example.com'")
    if not a.health_path.startswith("/"):
        raise ConstructError(label, f"health_path={a.health_path!r}", "give an absolute HTTP path such as '/healthz'")
    for prop, value in (("cpu", a.cpu), ("memory", a.memory)):
        if not positive_quantity(value):
            raise ConstructError(label, f"{prop}={value!r} is not a positive Kubernetes quantity", "write e.g. cpu '250m', memory '256Mi'")
    if s.secret_store is not None:
        check_dns_label(label, "secret_store", s.secret_store)
    served = sorted({v for by_kind in EXTERNAL_SECRETS.api_versions.values() for k, v in by_kind.items() if k == "ExternalSecret"})
    if s.external_secrets_api not in served:
        raise ConstructError(label, f"external_secrets_api={s.external_secrets_api!r} is no ExternalSecret apiVersion of a supported external-secrets", f"give one of {', '.join(served)}")


def _tree_external_secrets_api(tree) -> str:
    """The ExternalSecret apiVersion of the tree's external-secrets chart (the catalog's without one)."""
    chart = next((c for c in tree.charts() if c.component == EXTERNAL_SECRETS.name), EXTERNAL_SECRETS.chart)
    return EXTERNAL_SECRETS.api_version(chart, "ExternalSecret") if EXTERNAL_SECRETS.supports(chart.version) else EXTERNAL_SECRETS_API


class KustomizeApp(TreeConstruct):
    """A tenant's app (``tree.add_app(name, ...)``).

    Keyword-only props:

    - ``name``, ``namespace`` (a guarded namespace of the tree), ``tenant``, ``image`` (no tag),
      ``tag`` (pinned, never ``latest``). Required.
    - ``port``: the container's HTTP port. Default 8080.
    - ``replicas``: default 2, so a node drain never takes the app down.
    - ``host``: full host name of its Ingress. Default none: no Ingress.
    - ``ingress_class`` / ``cluster_issuer``: the Ingress class and cert-manager ClusterIssuer
      (with an issuer, TLS in the Secret ``<name>-tls``). Default none.
    - ``health_path``: readiness and liveness probe path. Default ``/healthz``.
    - ``cpu`` / ``memory``: requests (memory is also the limit). Default ``250m`` / ``256Mi``, the plan's.
    - ``database_secret`` / ``secret_store`` / ``credentials_version``: the Secrets Manager secret of
      its database credentials, the ClusterSecretStore reading it and its version; the Deployment
      reads it from the Secret ``<name>-database``. Default none. Without a store nothing syncs the
      secret (a cluster without external-secrets): the app gets no database Secret.
    - ``project``: its ArgoCD project. Default the tenant's. ``environment``: default the tree's.
    - ``external_secrets_api``: its ExternalSecret's apiVersion, the one the cluster's external-secrets
      chart serves (``external-secrets.io/v1beta1`` up to 0.16, ``v1`` from 0.17). Default: the one the
      tree's external-secrets add-on serves (added before the app), else the catalog's (v1).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        namespace: str,
        tenant: str,
        image: str,
        tag: str,
        port: int = 8080,
        replicas: int = 2,
        host: str | None = None,
        ingress_class: str | None = None,
        cluster_issuer: str | None = None,
        health_path: str = "/healthz",
        cpu: str = "250m",
        memory: str = "256Mi",
        database_secret: str | None = None,
        secret_store: str | None = None,
        credentials_version: int | None = None,
        project: str | None = None,
        environment: str | None = None,
        external_secrets_api: str | None = None,
    ):
        label = f"KustomizeApp {id!r}"
        tree = tree_of(scope, label)
        app = ResolvedApp(name, namespace, image, tag, port, replicas, host, health_path, cpu, memory, database_secret)
        spec = AppSpec(
            app,
            tenant,
            environment if environment is not None else tree.environment,
            project or tenant,
            ingress_class if host else None,
            cluster_issuer if host else None,
            f"{name}-tls" if host and cluster_issuer else None,
            secret_store if database_secret else None,
            f"{name}-database" if database_secret and secret_store else None,
            credentials_version if database_secret and secret_store else None,
            external_secrets_api or _tree_external_secrets_api(tree),
        )
        _check(label, app, spec)
        check_dns_label(label, "tenant", tenant)
        if any(a.spec.app.name == name for a in tree.apps()):
            raise ConstructError(label, f"app {name!r} is already in the tree", "give each app its own name (apps/<name>/ is its folder)")
        super().__init__(scope, id)
        self.spec = spec

    @classmethod
    def from_spec(cls, scope: Construct, spec: AppSpec) -> KustomizeApp:
        """The plan's front end: an app as resolution decided it (same checks, same derived names)."""
        a = spec.app
        app = cls(
            scope,
            f"app-{a.name}",
            name=a.name,
            namespace=a.namespace,
            tenant=spec.tenant,
            image=a.image,
            tag=a.tag,
            port=a.port,
            replicas=a.replicas,
            host=a.host,
            ingress_class=spec.ingress_class,
            cluster_issuer=spec.cluster_issuer,
            health_path=a.health_path,
            cpu=a.cpu,
            memory=a.memory,
            database_secret=a.database_secret,
            secret_store=spec.secret_store,
            credentials_version=spec.credentials_version,
            project=spec.project,
            environment=spec.environment,
            external_secrets_api=spec.external_secrets_api,
        )
        if app.spec != spec:  # the resolver and the construct derive the same names, or the output would drift
            raise ConstructError(app.node.path, f"derives {app.spec}, the plan resolved {spec}", "derive the app's names in one place")
        return app

    def files(self) -> dict[str, str]:
        s = self.spec
        files = folder_files(f"apps/{s.app.name}/base", app_objects.base_files(s))
        kust, objs = app_objects.overlay(s)
        overlay = f"apps/{s.app.name}/overlays/{s.environment}"
        files.update({f"{overlay}/{name}": dump(obj) for name, obj in objs.items()})
        files[f"{overlay}/kustomization.yaml"] = dump(kust)
        return files
