"""Reading plan files safely: hostile YAML, read errors, YAML 1.1 coercions, type messages,
NEEDS CLARIFICATION however it is written, malformed YAML that says what is wrong.

The inputs that could hang or exhaust memory with a careless reader (FIFO, /dev/zero, alias
bombs, deep nesting, huge files) run the CLI in a subprocess with a timeout and an address
space limit, so the suite itself can never hang."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from constructs_lib.plan import PlanError, load_plan


def errors_of(plan_dir: Path) -> PlanError:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value


def replace_in(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (which must occur once) and return the 1-based line of the replacement."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def issue_at(err: PlanError, file: str, path: str):
    found = [i for i in err.issues if Path(i.file).name == file and i.path == path]
    assert found, f"no issue at {file} {path}:\n{err}"
    return found[0]


_VALIDATE = "import sys; from stacks.cli import main; sys.exit(main(['validate', '--plan', sys.argv[1]]))"


def _limit_memory() -> None:
    limit = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def validate_in_subprocess(plan: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``infraplan validate`` in a child with a timeout and 2 GiB of address space: a reader that
    blocks or expands without bound fails the test instead of hanging the suite or the machine."""
    return subprocess.run(
        [sys.executable, "-c", _VALIDATE, str(plan)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        cwd=ROOT,
    )


def assert_refused(proc: subprocess.CompletedProcess[str], file: str, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert file in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


# --- 1. hostile YAML and hostile files ------------------------------------------------------------

BILLION_LAUGHS = (
    'name: org-b\nlol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"l{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
    + "display_name: *i\n"
)


def test_alias_bomb_is_refused_quickly(plan_copy: Path) -> None:
    assert len(BILLION_LAUGHS) < 700  # a few hundred bytes that expand to 9**9 strings
    (plan_copy / "tenants" / "org-b.yaml").write_text(BILLION_LAUGHS)
    proc = validate_in_subprocess(plan_copy)
    assert_refused(proc, "org-b.yaml:", "more than 100,000 values", "alias")


def test_ordinary_anchors_and_aliases_still_work(plan_copy: Path) -> None:
    path = plan_copy / "tenants" / "org-a.yaml"
    replace_in(path, "quotas:\n  cpu: \"8\"\n  memory: 16Gi\n  pods: 60\n", "quotas: &base\n  cpu: \"8\"\n  memory: 16Gi\n  pods: 60\n")
    replace_in(path, "  prod:\n    quotas:\n      cpu: \"16\"\n      memory: 32Gi\n      pods: 120\n", "  prod:\n    quotas: *base\n")
    plan = load_plan(plan_copy)
    assert plan.tenants["org-a"].environments["prod"].quotas == plan.tenants["org-a"].quotas


def test_recursive_alias_is_refused(plan_copy: Path) -> None:
    (plan_copy / "tenants" / "org-b.yaml").write_text("name: org-b\nnamespaces: &a [*a]\n")
    proc = validate_in_subprocess(plan_copy)
    assert_refused(proc, "org-b.yaml:2:", "inside the node it names")


@pytest.mark.parametrize(
    "text",
    [
        "name: dev\ntags: " + "[" * 10_000 + "\n",
        "name: dev\ntags:\n" + "".join(" " * i + "a:\n" for i in range(1, 500)),
        "name: dev\na0: &a0 [x]\n" + "".join(f"a{k}: &a{k} [*a{k - 1}]\n" for k in range(1, 400)),  # deep through aliases
    ],
)
def test_deep_nesting_is_refused_before_composing(plan_copy: Path, text: str) -> None:
    (plan_copy / "dev.yaml").write_text(text)
    proc = validate_in_subprocess(plan_copy)
    assert_refused(proc, "dev.yaml:", "nested more than 64 levels")


def test_fifo_posing_as_a_plan_file(plan_copy: Path) -> None:
    (plan_copy / "dev.yaml").unlink()
    os.mkfifo(plan_copy / "dev.yaml")
    proc = validate_in_subprocess(plan_copy, timeout=30)
    assert_refused(proc, "dev.yaml", "named pipe (FIFO), not a regular file")


def test_symlink_to_dev_zero_posing_as_a_plan_file(plan_copy: Path) -> None:
    (plan_copy / "tenants" / "org-b.yaml").unlink()
    (plan_copy / "tenants" / "org-b.yaml").symlink_to("/dev/zero")
    proc = validate_in_subprocess(plan_copy, timeout=30)
    assert_refused(proc, "org-b.yaml", "character device", "symlink")


def test_folder_posing_as_a_plan_file(plan_copy: Path) -> None:
    (plan_copy / "qa.yaml").mkdir()
    err = errors_of(plan_copy)
    assert "is a folder, not a regular file" in issue_at(err, "qa.yaml", "").message


def test_huge_file_is_refused_without_reading_it(plan_copy: Path) -> None:
    with open(plan_copy / "dev.yaml", "w") as f:
        f.write("name: dev\n")
        f.write("# padding that a parser would have to scan\n" * (50 * 1024 * 1024 // 44))
    proc = validate_in_subprocess(plan_copy, timeout=30)
    assert_refused(proc, "dev.yaml", "larger than 1 MiB")


def test_symlinks_to_regular_files_are_followed(plan_copy: Path, tmp_path: Path) -> None:
    """A plan may share a file with another plan: a symlink to a regular file, anywhere, is read."""
    shared = tmp_path / "shared-org-b.yaml"
    (plan_copy / "tenants" / "org-b.yaml").rename(shared)
    (plan_copy / "tenants" / "org-b.yaml").symlink_to(shared)
    assert "org-b" in load_plan(plan_copy).tenants


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("name: dev\ntier: &x development\nfoo:\n  <<: *x\n", 4, "merge keys"),
        ("name: dev\ntier: *nowhere\n", 2, "names no anchor"),
        ("name: dev\ntier: !!python/object:os.system development\n", 2, "tag !!python/object:os.system is not supported"),
        ("name: dev\ntier: !!int development\n", 2, "not a valid !!int"),
        ("name: dev\ntier: dev\x07elopment\n", 2, "control character U+0007"),
        ("name: dev\n? [a, b]\n: 1\n", 2, "a mapping key is a mapping or a list"),
    ],
)
def test_yaml_features_a_plan_does_not_use_are_refused(plan_copy: Path, text: str, line: int, fragment: str) -> None:
    (plan_copy / "dev.yaml").write_text(text)
    err = errors_of(plan_copy)
    [issue] = [i for i in err.issues if i.file.endswith("dev.yaml")]
    assert issue.line == line and fragment in issue.message, str(err)


# --- 2. every read error of the plan is an error ------------------------------------------------


def test_tenants_symlink_to_nowhere(plan_copy: Path) -> None:
    os.rename(plan_copy / "tenants", plan_copy.parent / "moved-tenants")
    (plan_copy / "tenants").symlink_to(plan_copy.parent / "nowhere")
    err = errors_of(plan_copy)
    issue = issue_at(err, "tenants", "")
    assert "symlink" in issue.message and "does not exist" in issue.message


def test_tenants_symlink_loop(plan_copy: Path) -> None:
    os.rename(plan_copy / "tenants", plan_copy.parent / "moved-tenants")
    (plan_copy / "tenants").symlink_to("tenants")
    assert "loops" in issue_at(errors_of(plan_copy), "tenants", "").message


def test_tenants_that_is_a_file(plan_copy: Path) -> None:
    os.rename(plan_copy / "tenants", plan_copy.parent / "moved-tenants")
    (plan_copy / "tenants").write_text("org-a\n")
    assert "is a file, not a folder" in issue_at(errors_of(plan_copy), "tenants", "").message


def _scandir_refusing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``folder`` unlistable, as chmod 000 would for any user but root (tests may run as root)."""
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(os.fspath(path)).resolve() == folder.resolve():  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_tenants_folder(plan_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scandir_refusing(plan_copy / "tenants", monkeypatch)
    issue = issue_at(errors_of(plan_copy), "tenants", "")
    assert "cannot be listed" in issue.message and "permission denied" in issue.message


def test_unreadable_plan_folder(plan_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scandir_refusing(plan_copy, monkeypatch)
    err = errors_of(plan_copy)
    assert [(Path(i.file).name, i.message) for i in err.issues] == [("plan", "the plan folder cannot be listed: permission denied")]


def test_environment_file_that_is_a_dangling_symlink(plan_copy: Path) -> None:
    (plan_copy / "qa.yaml").symlink_to(plan_copy / "qa-moved.yaml")
    issue = issue_at(errors_of(plan_copy), "qa.yaml", "")
    assert "is a symlink to" in issue.message and "which does not exist" in issue.message


def test_plan_file_with_an_uppercase_extension_is_not_skipped_silently(plan_copy: Path) -> None:
    (plan_copy / "tenants" / "org-b.yaml").rename(plan_copy / "tenants" / "org-b.YAML")
    issue = issue_at(errors_of(plan_copy), "org-b.YAML", "")
    assert "not read" in issue.message and "org-b.yaml" in issue.hint


# --- 3. YAML 1.1 coercions: a value is what it looks like, or an error -------------------------


@pytest.mark.parametrize(
    ("written", "message", "hint"),
    [
        ("010", "010 (10 in YAML 1.2, the octal number 8 in YAML 1.1)", "write 10"),
        ("yes", "yes (a string in YAML 1.2, true in YAML 1.1)", "write a whole number"),
        ("2024-01-01", "a date in YAML 1.1", "write a whole number"),
        ("1:20", "the base-60 number 80", "write the number in decimal"),
        ("0o10", "0o10 (8 in YAML 1.2, a string in YAML 1.1)", "write it in decimal: 8"),
        ("0x10", "the hexadecimal number 16", "write it in decimal: 16"),
        ("1_0", "the number 10 in YAML 1.1", "write 10, without underscores"),
        ('"5"', '"5" (a quoted string)', "write it without quotes: 5"),
        ("true", "true (a boolean)", "true and false are not numbers"),
        ("4.0", "4.0 (a number)", "write 4"),
        (".inf", ".inf (a number)", ".inf is not one"),
    ],
)
def test_a_number_must_be_written_as_a_number(plan_copy: Path, written: str, message: str, hint: str) -> None:
    line = replace_in(plan_copy / "dev.yaml", "      max_size: 4\n", f"      max_size: {written}\n")
    issue = issue_at(errors_of(plan_copy), "dev.yaml", "cluster.node_groups[0].max_size")
    assert issue.line == line
    assert issue.message.startswith("expected a whole number, read ") and message in issue.message, issue
    assert hint in issue.hint, issue


@pytest.mark.parametrize(
    ("written", "hint"),
    [("yes", "write true"), ("off", "write false"), ('"yes"', "write true"), ('"true"', "write true without quotes"), ("1", "write true or false")],
)
def test_a_boolean_must_be_written_true_or_false(plan_copy: Path, written: str, hint: str) -> None:
    line = replace_in(plan_copy / "dev.yaml", "  max_allocated_storage_gb: 50\n", f"  max_allocated_storage_gb: 50\n  multi_az: {written}\n") + 1
    issue = issue_at(errors_of(plan_copy), "dev.yaml", "database.multi_az")
    assert issue.line == line and issue.message.startswith("expected true or false, read ") and hint in issue.hint, issue


def test_scalars_that_yaml_1_1_reads_otherwise_must_be_quoted_where_text_is_expected(plan_copy: Path) -> None:
    """`on`, `no`, `0755`, `1:20`, a date: YAML 1.1 readers see a boolean, a number or a date;
    the plan takes text only when it is written as text (issue #10: "quote it")."""
    org_b, prod = plan_copy / "tenants" / "org-b.yaml", plan_copy / "prod.yaml"
    replace_in(org_b, "display_name: Organization B (analytics)", "display_name: on")
    replace_in(org_b, "tag: 0.12.4", "tag: 2024-01-01")
    replace_in(prod, "        workload: system\n", "        workload: system\n        mode: 0755\n        window: 1:20\n        flag: no\n")
    err = errors_of(plan_copy)
    flagged = {(Path(i.file).name, i.path): i for i in err.issues}
    assert set(flagged) == {
        ("org-b.yaml", "display_name"),
        ("org-b.yaml", "apps[0].tag"),
        ("prod.yaml", "cluster.node_groups[1].labels.mode"),
        ("prod.yaml", "cluster.node_groups[1].labels.window"),
        ("prod.yaml", "cluster.node_groups[1].labels.flag"),
    }
    assert all("ambiguous" in i.message and "quote it" in i.hint for i in err.issues)
    assert flagged[("org-b.yaml", "display_name")].hint == 'quote it: "on"'
    replace_in(org_b, "display_name: on", 'display_name: "on"')
    replace_in(org_b, "tag: 2024-01-01", 'tag: "2024-01-01"')
    replace_in(prod, "mode: 0755\n        window: 1:20\n        flag: no\n", 'mode: "0755"\n        window: "1:20"\n        flag: "no"\n')
    plan = load_plan(plan_copy)
    assert plan.tenants["org-b"].display_name == "on"
    assert plan.tenants["org-b"].apps[0].tag == "2024-01-01"
    assert plan.environments["prod"].cluster.node_groups[1].labels == {"workload": "system", "mode": "0755", "window": "1:20", "flag": "no"}


def test_ambiguous_scalars_in_helm_values_must_say_what_they_mean(plan_copy: Path) -> None:
    """component_values go to Helm, which reads YAML 1.1: `yes` would silently change meaning."""
    path = plan_copy / "dev.yaml"
    text = path.read_text() + "component_values:\n  ingress-nginx:\n    controller:\n      enabled: yes\n      replicaCount: 2\n      mode: \"0755\"\n"
    path.write_text(text)
    err = errors_of(plan_copy)
    issue = issue_at(err, "dev.yaml", "component_values.ingress-nginx.controller.enabled")
    assert issue.line == text.splitlines().index("      enabled: yes") + 1
    assert "ambiguous" in issue.message and "write true" in issue.hint and 'quote it ("yes")' in issue.hint
    assert len(err.issues) == 1  # 2 and the quoted "0755" are what they look like
    path.write_text(text.replace("enabled: yes", "enabled: true"))
    assert load_plan(plan_copy).environments["dev"].component_values["ingress-nginx"]["controller"] == {"enabled": True, "replicaCount": 2, "mode": "0755"}


def test_keys_are_text(plan_copy: Path) -> None:
    """A key YAML reads as a number or boolean, or that YAML 1.1 reads so (on, 0755), is refused
    like the same value would be: quoted, each is the text written."""
    line = replace_in(plan_copy / "dev.yaml", "  data-classification: internal\n", "  data-classification: internal\n  1: one\n  on: two\n  0755: three\n")
    err = errors_of(plan_copy)
    assert [(i.path, i.line, i.hint) for i in err.issues] == [
        ("tags.1", line + 1, 'quote it: "1"'),
        ("tags.on", line + 2, 'quote it: "on"'),
        ("tags.0755", line + 3, 'quote it: "0755"'),
    ]
    assert err.issues[0].message == "a key must be text: read 1 (a number)"
    assert "YAML 1.1 (PyYAML, Helm) reads it as true" in err.issues[1].message
    replace_in(plan_copy / "dev.yaml", "  1: one\n  on: two\n  0755: three", '  "1": one\n  "on": two\n  "0755": three')
    assert load_plan(plan_copy).environments["dev"].tags == {"data-classification": "internal", "1": "one", "on": "two", "0755": "three"}

def test_a_float_field_takes_a_whole_number(plan_copy: Path) -> None:
    replace_in(plan_copy / "platform.yaml", "uptime_percent: 99.9", "uptime_percent: 99")
    assert load_plan(plan_copy).platform.performance.uptime_percent == 99.0


# --- 4. type errors say what was read and how to write it ---------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "path", "message", "hint"),
    [
        ("platform.yaml", 'cost-center: "4200"', "cost-center: 4200", "tags.cost-center", "expected a string, read 4200 (a number)", 'quote it: "4200"'),
        ("platform.yaml", 'version: "1.35"', "version: 1.30", "kubernetes.version", "read 1.30 (a number)", 'quote it: "1.30"'),
        ("prod.yaml", 'value: "true"', "value: true", "cluster.node_groups[1].taints[0].value", "read true (a boolean)", 'quote it: "true"'),
        ("tenants/org-b.yaml", "display_name: Organization B (analytics)", "display_name: [a, b]", "display_name", "read a list of 2 items", "one string"),
        ("tenants/org-b.yaml", "display_name: Organization B (analytics)", "display_name:", "display_name", "read nothing (null)", "after the colon"),
        ("platform.yaml", "uptime_percent: 99.9", 'uptime_percent: "99.9"', "performance.uptime_percent", "expected a number, read \"99.9\"", "without quotes: 99.9"),
        ("tenants/org-b.yaml", "namespaces: [org-b]", "namespaces: org-b", "namespaces", "expected a list, read org-b (a string)", "namespaces: [org-b]"),
        ("tenants/org-b.yaml", 'quotas:\n  cpu: "4"\n  memory: 8Gi\n  pods: 40\n', "quotas: big\n", "quotas", "expected a mapping of fields, read big (a string)", "below 'quotas:'"),
        ("dev.yaml", "tags:\n  data-classification: internal\n", "tags: [internal]\n", "tags", "expected a mapping, read a list of 1 item", "not '- ' items"),
        ("dev.yaml", "capacity_type: SPOT", "capacity_type: 1", "cluster.node_groups[0].capacity_type", "read 1 (a number); allowed: 'ON_DEMAND' or 'SPOT'", "allowed values"),
    ],
)
def test_type_errors_name_the_value_read_and_how_to_write_it(plan_copy: Path, file: str, old: str, new: str, path: str, message: str, hint: str) -> None:
    line = replace_in(plan_copy / file, old, new)
    issue = issue_at(errors_of(plan_copy), Path(file).name, path)
    assert message in issue.message and hint in issue.hint, issue
    assert "Input should be" not in issue.message
    assert issue.line == line


# --- 5. NEEDS CLARIFICATION however it is written --------------------------------------------------


@pytest.mark.parametrize(
    ("new", "path"),
    [
        ("display_name: NEEDS\u00a0CLARIFICATION", "display_name"),
        ("display_name: needs   clarification", "display_name"),
        ("display_name: \uff2e\uff25\uff25\uff24\uff33 \uff23\uff2c\uff21\uff32\uff29\uff26\uff29\uff23\uff21\uff34\uff29\uff2f\uff2e", "display_name"),
        ("display_name: NEEDS\u200b CLARIFICATION", "display_name"),
        ('display_name: "[needs_clarification: which name?]"', "display_name"),
        ("display_name: |\n  NEEDS\n  CLARIFICATION\n", "display_name"),
        ("display_name: >\n  which one? NEEDS\n\n  CLARIFICATION\n", "display_name"),
        ("display_name: Org B\nNEEDS CLARIFICATION: the isolation", "NEEDS CLARIFICATION"),
        ("display_name: Org B\ndatabase:\n  Needs Clarification: {}", "database.Needs Clarification"),  # a key org-b.yaml does not hold yet
    ],
)
def test_needs_clarification_however_written(plan_copy: Path, new: str, path: str) -> None:
    file = plan_copy / "tenants" / "org-b.yaml"
    line = replace_in(file, "display_name: Organization B (analytics)", new)
    key = path.split(".")[-1]
    if key != "display_name":  # the marker is a key: its own line
        line = file.read_text().splitlines().index(f"{'  ' * path.count('.')}{key}: " + new.split(f"{key}: ")[-1]) + 1
    issue = issue_at(errors_of(plan_copy), "org-b.yaml", path)
    assert "NEEDS CLARIFICATION" in issue.message and issue.line == line, issue


# --- 6. malformed YAML says what is wrong ---------------------------------------------------------


def test_a_second_document_is_named_as_such(plan_copy: Path) -> None:
    path = plan_copy / "dev.yaml"
    text = path.read_text()
    line = len(text.splitlines()) + 1
    path.write_text(text + "---\nname: dev2\n")
    [issue] = errors_of(plan_copy).issues
    assert issue.line == line and "second YAML document" in issue.message
    assert f"a plan file holds one YAML document; remove the second `---` at line {line}" in issue.hint
    assert "indentation" not in issue.hint


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        ("name: dev\ncluster:\n\tnode_groups: []\n", 3, "tab", "replace the tab on line 3 with spaces"),
        ('name: "dev\ntier: x\n', 1, "quoted value is never closed", "close the quote opened on line 1"),
        ("name: dev\nregions: [eu-west-1\ntier: x\n", 2, "the [ opened on line 2 is not closed", "close it with ]"),
        ("name: dev\ntier: staging: prod\n", 2, "a second ': '", "quote a value that contains ': '"),
        ("name: dev\n  tier: staging\n", 2, "indented below line 1", "indent line 2 like the keys of line 1"),
        ("name: dev\ncluster:\n  a: 1\n b: 2\n", 4, "indented to no level", "indent line 4 exactly like the other keys"),
        ("regions:\n  - eu-west-1\n  tier: x\n", 3, "mixes list items and keys", "either a list"),
        ("name: dev\ntier\nx: 1\n", 2, "neither `key: value` nor `- item`", "add ': '"),
        ("name: 'it's'\n", 1, "text follows a quoted value", "written twice"),
        ("name: dev\n...\ntier: x\n", 3, "follows the end of the document", "remove the `...` at line 2"),
        ("name: @dev\n", 1, "cannot start with '@' unquoted", 'quote the value'),
    ],
)
def test_malformed_yaml_says_what_is_wrong(plan_copy: Path, text: str, line: int, message: str, hint: str) -> None:
    (plan_copy / "dev.yaml").write_text(text)
    [issue] = [i for i in errors_of(plan_copy).issues if i.file.endswith("dev.yaml")]
    assert issue.line == line and message in issue.message and hint in issue.hint, issue
    assert "check indentation and quoting" not in issue.hint
