"""Reading a plan grows linearly with its tenants (#16), and reads what it read before.

Speed is measured by benchmarks/plan_read.py, never here: these tests count the work (function
calls, which cProfile counts exactly and which do not vary with the machine's load) at two
sizes, and compare the fast paths with the straightforward ones they replace."""

from __future__ import annotations

import cProfile
import ipaddress
import pstats
import random
import re
import unicodedata
from pathlib import Path

import pytest

from constructs_lib.plan import load_plan
from constructs_lib.plan.checks import _nested_path_pairs, _overlapping_pairs, cross_file_checks
from constructs_lib.plan.errors import PlanError
from constructs_lib.plan.yaml_source import format_path, load_yaml_text

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _grown_plan(tmp_path: Path, tenants: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The benchmarks' grown example, every other added tenant on a dedicated cluster (its own
    VPC) in prod: the VPC and secrets-path checks then compare hundreds of entries."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from plans import EXAMPLE_TENANTS, tenant_name, write_plan

    root = write_plan(tenants, tmp_path / f"plan-{tenants}")
    for index in range(EXAMPLE_TENANTS + 1, tenants + 1, 2):
        path = root / "tenants" / f"{tenant_name(index)}.yaml"
        text = path.read_text(encoding="utf-8")
        cidr = f"10.{64 + index // 2}.0.0/16"
        dedicated = f"\n  prod:\n    isolation: dedicated\n    vpc_cidr: {cidr}\n    database:\n      mode: dedicated\n"
        path.write_text(text.replace("\n  prod:\n", dedicated, 1), encoding="utf-8")
    platform = root / "platform.yaml"
    platform.write_text(re.sub(r"(?m)^(  max_nodes:) \d+", rf"\1 {16 * tenants}", platform.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    return root


def _calls(fn) -> int:
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    return sum(calls for calls, *_ in pstats.Stats(profile).stats.values())  # type: ignore[attr-defined]


@pytest.mark.slow  # builds and reads plans of 40 and 120 tenants (seconds)
def test_the_cross_file_checks_grow_linearly_with_tenants(tmp_path, monkeypatch):
    """Three times the tenants, at most 3.3 times the work: comparing every secrets path and
    every VPC with every other one made it 4 to 5 times (quadratic) at these sizes."""
    work = {}
    for n in (40, 120):
        plan = load_plan(_grown_plan(tmp_path, n, monkeypatch))
        dedicated = sum(t.environments.get("prod") is not None and t.environments["prod"].isolation == "dedicated" for t in plan.tenants.values())
        assert dedicated >= n // 2 - 2
        envs = {e: (env, plan.origin(f"environments.{e}")) for e, env in plan.environments.items()}
        tenants = {t: (tp, plan.origin(f"tenants.{t}")) for t, tp in plan.tenants.items()}
        check = lambda: cross_file_checks(plan.platform, plan.origin("platform"), envs, tenants, plan.sources)  # noqa: E731
        assert check() == []
        work[n] = _calls(check)
    assert work[120] <= 3.3 * work[40], work


@pytest.mark.slow
def test_reading_grows_linearly_with_tenants(tmp_path, monkeypatch):
    """The whole of load_plan: files read, validated and checked."""
    roots = {n: _grown_plan(tmp_path, n, monkeypatch) for n in (40, 120)}
    load_plan(roots[40])  # imports and caches
    work = {n: _calls(lambda: load_plan(root)) for n, root in roots.items()}
    assert work[120] <= 3.3 * work[40], work


def test_nested_paths_and_overlapping_networks_are_the_pairs_every_comparison_finds():
    rng = random.Random(16)
    for _ in range(4000):
        n = rng.randrange(12)
        paths = [(rng.choice("ab"), "".join(rng.choice(["a", "b", "/", "x/", "/a", "ab"]) for _ in range(rng.randrange(4)))) for _ in range(n)]
        every = [
            (i, j)
            for i in range(n)
            for j in range(i + 1, n)
            if paths[i][0] == paths[j][0] and (f"{paths[j][1]}/".startswith(f"{paths[i][1]}/") or f"{paths[i][1]}/".startswith(f"{paths[j][1]}/"))
        ]
        assert _nested_path_pairs(paths) == every, paths
        nets = [ipaddress.ip_network(f"10.{rng.randrange(3)}.{rng.randrange(0, 256, 32)}.0/{rng.choice([15, 16, 18, 20, 24])}", strict=False) for _ in range(n)]
        every = [(i, j) for i in range(n) for j in range(i + 1, n) if nets[i].overlaps(nets[j])]
        assert _overlapping_pairs(nets) == every, nets


def test_many_overlaps_are_all_reported_in_the_pairwise_order(tmp_path, monkeypatch):
    """Three dedicated tenants on one range: three issues, in the order of the files (the order
    in which comparing every pair reported them)."""
    root = _grown_plan(tmp_path, 12, monkeypatch)
    for index in (4, 6, 8):
        path = root / "tenants" / f"t{index:04d}.yaml"
        path.write_text(re.sub(r"vpc_cidr: \S+", "vpc_cidr: 10.99.0.0/16", path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PlanError) as raised:
        load_plan(root)
    overlaps = [(Path(i.file).name, re.findall(r"tenant '(\w+)'", i.message)) for i in raised.value.issues if "overlaps" in i.message]
    assert overlaps == [
        ("t0004.yaml", ["t0004", "t0006"]),
        ("t0004.yaml", ["t0004", "t0008"]),
        ("t0006.yaml", ["t0006", "t0008"]),
    ]


def test_the_marker_fold_of_ascii_text_is_the_general_fold():
    """_marker_form folds ASCII text without Unicode normalization: the same result for every
    ASCII character, alone and around the marker."""
    from constructs_lib.plan import loader

    def general(text: str) -> str:
        folded = unicodedata.normalize("NFKC", text).casefold()
        return "".join(c for c in folded if not (c.isspace() or c in "-_" or unicodedata.category(c) in ("Cf", "Zs", "Zl", "Zp")))

    rng = random.Random(16)
    texts = [chr(c) for c in range(128)] + ["".join(chr(c) for c in range(128))]
    texts += ["".join(rng.choice([chr(c) for c in range(128)] + ["NEEDS", "clarification", "Needs-Clari_fication"]) for _ in range(12)) for _ in range(2000)]
    for text in texts:
        assert loader._marker_form(text) == general(text), text


def test_only_ambiguous_scalars_look_up_the_models_type(monkeypatch):
    """The type at a scalar's path is needed only to judge an ambiguous scalar (yes, 010, 1:20):
    looking it up for every scalar of every file was a fifth of reading a plan."""
    from constructs_lib.plan import loader

    text = (BENCHMARKS.parent / "environments" / "tenants" / "org-a.yaml").read_text(encoding="utf-8")
    text = text.replace('cpu: "8"', "cpu: 010", 1).replace("display_name: Organization A (storefront)", "display_name: yes", 1)
    doc, _ = load_yaml_text(text, "org-a.yaml")
    ambiguous = [path for path, note in doc.source.scalars.items() if note.ambiguous]
    expected = [format_path(path) for path in ambiguous if loader._takes_text(loader._annotation_at(loader.TenantPlan, path))]
    looked_up = []
    original = loader._annotation_at
    monkeypatch.setattr(loader, "_annotation_at", lambda model, path: looked_up.append(path) or original(model, path))
    issues = loader._ambiguous_scalars(doc, loader.TenantPlan)
    assert looked_up == ambiguous == [("display_name",), ("quotas", "cpu")]
    assert [i.path for i in issues] == expected and "display_name" in expected
