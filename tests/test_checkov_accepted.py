"""The checkov gate's accepted-findings file (review of #14): an entry accepts exactly what it says.
A where: written as one string was read character by character, so where: "prod-*" accepted
the check in every file of every environment (its '*' matches anything)."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_lib.gates.checkov import accepted_entries


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accepted.yaml"
    path.write_text(text)
    return path


def test_a_where_written_as_one_string_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "terraform:\n  - {check: CKV_AWS_338, where: prod-*, reason: r}\n")
    with pytest.raises(ValueError, match=r"terraform\[0\]: CKV_AWS_338: where: is a list of file globs, e.g. where: \[\"dev-\*\"\] \(read 'prod-\*'\)"):
        accepted_entries(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {check: CKV_AWS_338, reason: r}\n", "expected a mapping with terraform: and/or kubernetes: lists"),
        ("terraform:\n  - CKV_AWS_338\n", r"terraform\[0\]: an entry is a mapping with check:"),
        ("terraform:\n  - {check: CKV_AWS_338, were: [dev-*], reason: r}\n", "CKV_AWS_338: unknown keys were"),
        ("kubernets:\n  - {check: CKV_K8S_1, reason: r}\n", "expected a mapping with terraform: and/or kubernetes: lists"),
    ],
)
def test_a_malformed_file_says_what_an_entry_is(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        accepted_entries(_file(tmp_path, text))

