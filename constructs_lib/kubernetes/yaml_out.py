"""Deterministic YAML: the key order the objects were built in, no timestamps,
block style, one object per file.

The text is always what PyYAML's Python emitter writes. Where PyYAML has its C
emitter (libyaml, ``yaml.CSafeDumper``), a document is written by it when the two
emitters are known to write the same bytes for it: every string of printable
ASCII (and newlines where a ``|`` block holds them), every mapping key of printable
ASCII, not empty and not long. That is every object of the
bundled example's tree; a document with other text (accents, emoji, control
characters, tabs, where libyaml escapes, folds or measures keys differently) goes through the
Python emitter. So the output never depends on whether libyaml is installed, and
the C emitter makes writing a large tree about five times faster.
``tests/test_synth_performance.py`` proves the two agree on that class of strings.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # an object used twice is written out twice, never as &anchor/*alias
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)

_CDumper: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CDumper(yaml.CSafeDumper):  # type: ignore[no-redef]  # the same representers, libyaml's emitter
        def ignore_aliases(self, data):
            return True

    _CDumper.add_representer(str, _str_representer)

_OUTSIDE_AGREED = re.compile(r"[^\n\x20-\x7e]")
"""A character outside the strings both emitters write alike: printable ASCII and newlines.
(A tab or a control character makes the string double-quoted, which they fold differently.)"""
_OUTSIDE_AGREED_KEY = re.compile(r"[^\x20-\x7e]")
"""In a mapping key, also a newline (libyaml then writes a ``?`` complex key, PyYAML a plain one)."""

_OPTIONS = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, "width": 120}


_KEY_LENGTH = 100
"""Longer keys are not checked: the emitters differ on when a key is too long to be simple (128)."""
_ANALYZER = yaml.emitter.Emitter(None)  # only its analyze_scalar: which styles a string allows


def _agreed_string(text: str) -> bool:
    if _OUTSIDE_AGREED.search(text):
        return False
    # A text of several lines is written as a | block; one that cannot be (a space before a line
    # break, ...) falls back to a double-quoted string, which the emitters fold differently.
    return "\n" not in text or _ANALYZER.analyze_scalar(text).allow_block


def emitters_agree(obj: Any) -> bool:
    """Whether libyaml's emitter writes ``obj`` byte for byte as the Python emitter does:
    every string printable ASCII and newlines (several lines only where a | block can hold
    them); every key printable ASCII, not empty, at most 100 characters."""
    todo = [obj]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            if not _agreed_string(value):
                return False
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (not key or len(key) > _KEY_LENGTH or _OUTSIDE_AGREED_KEY.search(key)):
                    return False
                todo.append(item)
        elif isinstance(value, (list, tuple)):
            todo.extend(value)
    return True


def _dumper_for(objs: list[Any]) -> type:
    return _CDumper if _CDumper is not None and emitters_agree(objs) else _Dumper


def dump(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_dumper_for([obj]), **_OPTIONS)


def dump_all(objs: list[Any]) -> str:
    return yaml.dump_all(objs, Dumper=_dumper_for(objs), **_OPTIONS)
