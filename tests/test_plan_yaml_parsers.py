"""Plan files are read through libyaml's parser where it gives what PyYAML's parser gives (#16).

The two paths must read every text alike: the same data, the same line of every field, the same
notes on every scalar, the same issues in the same order, and, where the text cannot be read,
the same error (the Python parser's). These tests compare them on the example, on the hostile
corpus of #10, on mutated plan text and on the constructs the parsers read otherwise, and check
that the example and the benchmarks' grown plans take the fast path."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

from constructs_lib.plan import yaml_source
from constructs_lib.plan.yaml_source import load_yaml_file, load_yaml_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "environments"
needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: only the Python parser exists")
pytestmark = needs_libyaml
LIBYAML = yaml_source.LIBYAML_PARSER


def _reading(doc, issues) -> tuple:
    """All a reading gives, in order (repr: a NaN equals itself)."""
    if doc is None:
        return None, issues
    return repr(doc.data), list(doc.source.lines.items()), list(doc.source.scalars.items()), issues


def _both(monkeypatch: pytest.MonkeyPatch, read) -> tuple[tuple, tuple]:
    fast = _reading(*read())
    monkeypatch.setattr(yaml_source, "LIBYAML_PARSER", None)
    python = _reading(*read())
    monkeypatch.setattr(yaml_source, "LIBYAML_PARSER", LIBYAML)
    return fast, python


class _Counting:
    """libyaml's parser, counting the texts it read to the end."""

    whole = 0

    def __init__(self, text: str) -> None:
        self.loader = LIBYAML(text)

    def check_event(self) -> bool:
        more = self.loader.check_event()
        _Counting.whole += not more
        return more

    def get_event(self):
        return self.loader.get_event()

    def dispose(self) -> None:
        self.loader.dispose()


def _plan_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".lock") and p.is_file() and not p.is_symlink())


def test_the_example_and_the_grown_plans_take_the_fast_path(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from plans import write_plan

    files = _plan_files(EXAMPLE) + _plan_files(write_plan(12, tmp_path / "plan"))
    monkeypatch.setattr(yaml_source, "LIBYAML_PARSER", _Counting)
    python_parsers = []
    monkeypatch.setattr(yaml, "SafeLoader", lambda text: python_parsers.append(text))  # must never be built
    for path in files:
        doc, issues = load_yaml_file(path, str(path))
        assert doc is not None and issues == []
    assert _Counting.whole == len(files) and python_parsers == []


def test_the_example_reads_alike_through_both_parsers(monkeypatch):
    for path in _plan_files(EXAMPLE):
        fast, python = _both(monkeypatch, lambda: load_yaml_file(path, str(path)))
        assert fast == python, path
        assert fast[0] is not None


@pytest.mark.slow  # about 150 plan copies
def test_the_hostile_corpus_reads_alike_through_both_parsers(tmp_path, monkeypatch):
    from hostile.cases import CASES
    from hostile.harness import Ctx

    compared = 0
    for case in CASES:
        base = tmp_path / case.id
        plan = base / "plan"
        shutil.copytree(EXAMPLE, plan)
        (base / "out").mkdir()
        try:
            case.mutate(Ctx(root=base, plan=plan, out=base / "out"))
        except Exception:  # noqa: BLE001 - a case that needs the harness's setup (an output, a module) changes no plan text
            continue
        for path in _plan_files(plan):
            fast, python = _both(monkeypatch, lambda: load_yaml_file(path, str(path)))
            assert fast == python, (case.id, path)
            compared += 1
        shutil.rmtree(base, ignore_errors=True)
    assert compared > 1000


_PIECES = [*" \n\r:-[]{},#&*!|>'\"%@`\\.~0123456789abxyY\u00e9\u00a0\x07", "---", "...", "\n  ", "\n- ", ": ", "- ", "!!str ", "!!int ", "!!map ",
           "&a ", "*a", "\r\n", "\\x41", "\\u00e9", "\\/", "\\N", "\\\n", "  #c\n", "%YAML 1.1\n", "%YAML 1.2\n---\n", "%TAG !e! tag:e,2000:\n", "!e!x ",
           "<<: ", "|-\n", ">+\n", "|2\n", "'a\n b'", '"a\n\n b"', "[a: b]", "{a, b}", "[a, [b, {c: d}]]", "{: x}", "[: x]", "- - x", "yes", "010", "0o17",
           "1_000", "1:20", "2024-01-01", ".inf", "x" * 1030, "\t", "?", "? ", "\ufeff", "\u2028", "\x85", "!e1:20!x ", "!<tag:yaml.org,2002:str> ",
           "!a!b ", "!", "! ", "%", "%FOO bar\n", "&a!x "]  # fmt: skip


def test_mutated_plan_text_reads_alike_through_both_parsers(monkeypatch):
    """Windows of the example's files with a few characters inserted, deleted or replaced by
    YAML's indicators, escapes, directives, tags, breaks and scalars that YAML 1.1 reads otherwise."""
    seeds = [p.read_text(encoding="utf-8") for p in _plan_files(EXAMPLE)]
    rng = random.Random(16)
    fast_path = 0
    for _ in range(3000):
        lines = rng.choice(seeds).split("\n")
        start = rng.randrange(len(lines))
        text = "\n".join(lines[start : start + rng.randrange(1, 20)])
        for _ in range(rng.randrange(1, 6)):
            at, op = rng.randrange(len(text) + 1), rng.random()
            if op < 0.5:
                text = text[:at] + rng.choice(_PIECES) + text[at:]
            elif op < 0.8:
                text = text[:at] + text[at + rng.randrange(1, 4) :]
            else:
                text = text[:at] + rng.choice(_PIECES) + text[at + 1 :]
        fast_path += yaml_source._compose_with_libyaml(text, "f.yaml") is not None
        fast, python = _both(monkeypatch, lambda: load_yaml_text(text, "f.yaml"))
        assert fast == python, text
    assert fast_path > 300  # both paths were compared, not only the Python one twice


def _events(parser, text: str) -> list[tuple] | str:
    """What the composer uses of each event, or the error that stopped the parser."""
    loader, out = parser(text), []
    try:
        while loader.check_event():
            e = loader.get_event()
            end = type(e).__name__.endswith("EndEvent")
            out.append((type(e).__name__, getattr(e, "value", None), getattr(e, "tag", None), getattr(e, "style", None) or None, getattr(e, "anchor", None), None if end else e.start_mark.line))
    except yaml.YAMLError as exc:
        return type(exc).__name__
    finally:
        loader.dispose()
    return out


@pytest.mark.parametrize(
    "text",
    [
        "a: b\tc\n",  # a tab inside a plain scalar: PyYAML refuses it
        "a: [b, c\td]\n",
        "a: [b?c]\n",  # '?' inside a flow plain scalar: PyYAML refuses it
        "a:\n  ? b",  # an explicit key's empty value at the end: marked a line apart
        "a: |#\n  b\n",  # a block scalar's header then '#': PyYAML refuses it
        "a: [x,\n\ufeffy]\n",  # a byte order mark starting a line: libyaml drops it
        "!a:b!c a: b\n",  # a tag with a second '!': libyaml reads one local tag, PyYAML refuses it
    ],
)
def test_text_the_parsers_read_otherwise_takes_the_python_path(text, monkeypatch):
    """Each construct that made the gate: the parsers disagree on it, and the reading is PyYAML's."""
    assert _events(LIBYAML, text) != _events(yaml.SafeLoader, text)
    assert yaml_source._compose_with_libyaml(text, "f.yaml") is None
    fast, python = _both(monkeypatch, lambda: load_yaml_text(text, "f.yaml"))
    assert fast == python


@pytest.mark.parametrize(
    "text",
    [
        "a: [b\n",  # syntax errors: libyaml's words and stopping points differ
        "a: b: c\n",
        "a: 'b\n",
        "a:\n  - b\n c: d\n",
        "a: \"\\q\"\n",
        "a: b\n---\nc: d\n",  # a second document: the composer stops
        "a: !Ref b\n",  # a tag: the composer stops
        "a: &x [*x]\n",
        "a: b\x07\n",  # a control character
        "a: *nowhere\n",
        "a: [" * 100 + "]" * 100 + "\n",  # past the depth bound
        "%YAML 1.3\n---\na: b\n",  # libyaml refuses the version PyYAML accepts
    ],
)
def test_text_libyaml_does_not_compose_gets_the_python_parsers_reading(text, monkeypatch):
    """Errors, bounds, tags, and what only PyYAML accepts: libyaml's attempt is dropped."""
    assert yaml_source._compose_with_libyaml(text, "f.yaml") is None
    fast, python = _both(monkeypatch, lambda: load_yaml_text(text, "f.yaml"))
    assert fast == python and (fast[0] is None) == (not text.startswith("%YAML"))


@pytest.mark.parametrize(
    "text",
    [
        "a: \U0001f600\nb: [\U0001f600, \"\\U0001F600\"]\nc: |\n  \U0001f600\n  x\n",  # outside the BMP
        (EXAMPLE / "tenants" / "org-a.yaml").read_text(encoding="utf-8").replace("\n", "\r\n"),  # Windows line ends
        (EXAMPLE / "tenants" / "org-a.yaml").read_text(encoding="utf-8").replace("\n", "\r"),  # old Mac line ends
        "a: 'x\n\n  y'\nb: \"p\\\n  q\"\nc: >\n  x\n\n   y\n  z\nd: |+\n  e\n\n",  # folding in quotes and blocks
        "k: " + "\u00e9" * 2000 + "\n",
        "a:\n- b\n- c\n\"d\": e\n'f': &g h\ni: *g\n",
        "key: value",  # no line break at the end
    ],
)
def test_unusual_valid_text_takes_the_fast_path_and_reads_alike(text, monkeypatch):
    assert yaml_source._compose_with_libyaml(text, "f.yaml") is not None
    fast, python = _both(monkeypatch, lambda: load_yaml_text(text, "f.yaml"))
    assert fast == python and fast[0] is not None
