"""Plan errors that name the file, the line, the field path and a hint."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanIssue:
    """One problem found in the plan files."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str = ""

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.path}:" if self.path else ""
        text = f"{where}:{field} {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class PlanError(Exception):
    """The plan cannot be used. Carries every issue found, not just the first."""

    def __init__(self, issues: list[PlanIssue]):
        self.issues = sorted(issues, key=lambda i: (i.file, i.line or 0, i.path, i.message))
        super().__init__("\n".join(i.render() for i in self.issues))
