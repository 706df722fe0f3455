"""Large plans for the benchmarks: the bundled example grown to N tenants.

    .venv/bin/python benchmarks/plans.py N DIR      # writes the plan folder DIR

The example's own three tenants stay; N - 3 more are copies of its shared tenants
org-a and org-b under new names (t0004, t0005, ...), every name they carry (namespaces,
groups, hosts, apps, database, images, IAM roles) renamed with them, so the plan passes
validate as the example does. ``scale.tenants`` is raised to N and
``performance.max_pods`` to what the tenants' pod quotas add up to; nothing else changes.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "environments"
TEMPLATES = ("org-a", "org-b")  # shared tenants, one cluster for all
EXAMPLE_TENANTS = 3


def tenant_name(index: int) -> str:
    return f"t{index:04d}"


def _clone(template: str, name: str) -> str:
    """The template tenant's file with every form of its name replaced (org-a, org_a)."""
    text = (EXAMPLE / "tenants" / f"{template}.yaml").read_text(encoding="utf-8")
    text = text.replace(template, name).replace(template.replace("-", "_"), name.replace("-", "_"))
    for app in yaml.safe_load(text).get("apps", []):  # app names are unique on a cluster (apps/<name>/)
        text = re.sub(rf"(?<![-\w.]){re.escape(app['name'])}\b", f"{name}-{app['name']}", text)
    return re.sub(r"(?m)^display_name: .*$", f"display_name: Tenant {name}", text)


def _pods(tenant: dict) -> int:
    """The most pods the tenant's quotas allow on one cluster (its largest per-environment quota)."""
    counts = [int(tenant.get("quotas", {}).get("pods", 0))]
    counts += [int((env or {}).get("quotas", {}).get("pods", 0)) for env in (tenant.get("environments") or {}).values()]
    return max(counts)


def write_plan(tenants: int, dest: Path) -> Path:
    """The example with ``tenants`` tenants in all, written to ``dest`` (which must not exist)."""
    if tenants < EXAMPLE_TENANTS:
        raise ValueError(f"a plan needs at least the example's {EXAMPLE_TENANTS} tenants")
    shutil.copytree(EXAMPLE, dest)
    pods = sum(_pods(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in (dest / "tenants").glob("*.yaml"))
    for index in range(EXAMPLE_TENANTS + 1, tenants + 1):
        name = tenant_name(index)
        text = _clone(TEMPLATES[index % len(TEMPLATES)], name)
        pods += _pods(yaml.safe_load(text))
        (dest / "tenants" / f"{name}.yaml").write_text(text, encoding="utf-8")
    platform = dest / "platform.yaml"
    text = platform.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  tenants:) \d+", rf"\1 {tenants}", text, count=1)
    text = re.sub(r"(?m)^(  max_pods:) \d+", rf"\1 {max(pods, 1)}", text, count=1)
    platform.write_text(text, encoding="utf-8")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tenants", type=int)
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    print(write_plan(args.tenants, args.dest))


if __name__ == "__main__":
    main()
