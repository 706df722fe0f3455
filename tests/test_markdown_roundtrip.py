"""The round trips of the Markdown plan (#15) on whole plans: import(document(plan)) is the same plan
(the models, the files, the Markdown written again) and synthesizes byte for byte the same output,
for the bundled example and for plans built in tests/test_markdown_plan.py (multi-region, a dedicated
tenant, several compliance frameworks, older chart majors under constraints with their lock,
gitops none); an edit to the Markdown wins over the appendix; gate status from check results.
Slow: each renders the plan's GitOps trees for the Project Structure, the synth tests synthesize."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EXAMPLE_PLAN
from constructs_lib.markdown import document, import_markdown
from constructs_lib.markdown.reader import parse_markdown
from constructs_lib.plan import load_plan
from stacks.cli import main
from stacks.synth import synthesize
from test_markdown_plan import BUILT, round_trip

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(BUILT))
def test_import_of_document_is_the_same_plan(name: str, tmp_path: Path) -> None:
    original = load_plan(BUILT[name](tmp_path / "original"))
    back = load_plan(round_trip(tmp_path / "original", tmp_path / "rt" / "plan"))
    assert back.platform == original.platform
    assert back.environments == original.environments and back.tenants == original.tenants
    assert back.chart_lock == original.chart_lock
    assert document(back) == document(original)  # deterministic, and nothing lost on the way


def test_the_markdown_decides_over_the_appendix(tmp_path: Path) -> None:
    """An edit to the Markdown's decisions wins over the appendix it was written with; the other files stay verbatim."""
    text = document(load_plan(EXAMPLE_PLAN))
    text = text.replace("RTO < 1h", "RTO < 30m").replace("compliance (SOC2)", "compliance (SOC2, HIPAA)").replace("org-c dedicated in prod", "org-c")
    import_markdown(parse_markdown(text, "plan.md"), tmp_path / "plan")
    plan = load_plan(tmp_path / "plan")
    assert plan.platform.performance.rto_minutes == 30 and plan.platform.constraints.compliance == ["SOC2", "HIPAA"]
    assert plan.tenants["org-c"].environments["prod"].isolation is None and plan.tenants["org-c"].isolation == "shared"
    assert "RTO < 30m" in (tmp_path / "plan/platform.yaml").read_text()  # the Markdown's wording as a comment
    for f in ("dev.yaml", "prod.yaml", "tenants/org-a.yaml"):
        assert (tmp_path / "plan" / f).read_bytes() == (EXAMPLE_PLAN / f).read_bytes()


def test_document_takes_gate_status_from_check_results(tmp_path: Path) -> None:
    results = {"plan": "p", "environments": [{"name": e, "gates": [{"id": "plan-validates", "status": "pass"}, {"id": "checkov", "status": s}]} for e, s in (("dev", "pass"), ("prod", "fail"))]}
    (tmp_path / "check.json").write_text(json.dumps(results))
    assert main(["document", "--plan", str(EXAMPLE_PLAN), "--out", str(tmp_path / "plan.md"), "--check-results", str(tmp_path / "check.json")]) == 0
    rows = {line.split("|")[1].strip(): line.split("|")[5].strip() for line in (tmp_path / "plan.md").read_text().splitlines() if line.startswith("| ") and line.count("|") == 7}
    assert rows["plan-validates"] == "pass" and rows["checkov"] == "pass: dev; fail: prod" and rows["tenant-isolation"] == "not run"
    assert main(["document", "--plan", str(EXAMPLE_PLAN), "--out", str(tmp_path / "plain.md")]) == 0
    assert "| plan-validates | plan-validates | yes | - | not run |" in (tmp_path / "plain.md").read_text()




def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".infraplan-output"}


@pytest.mark.parametrize(("name", "envs"), [("example", None), ("regulated", ["prod"]), ("multi-region", ["prod"])])
def test_import_of_document_synthesizes_byte_for_byte_the_same(name: str, envs: list[str] | None, tmp_path: Path) -> None:
    original = BUILT[name](tmp_path / "original")
    back = round_trip(original, tmp_path / "rt" / "plan")
    synthesize(original, tmp_path / "out-original", envs=envs)
    synthesize(back, tmp_path / "out-back", envs=envs)
    a, b = _tree(tmp_path / "out-original"), _tree(tmp_path / "out-back")
    assert a.keys() == b.keys() and len(a) > 20
    assert [f for f in a if a[f] != b[f]] == []
