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

    def __reduce__(self):  # rebuilt from its issues, not its text: it travels from synth's Terraform workers as a pickle
        return (type(self), (self.issues,))


class FieldValueError(ValueError):
    """Raised inside a model validator to blame a field below the model, not the model itself.

    ``path`` is relative to the model that raises (e.g. ``("max_size",)`` or
    ``("node_groups", 1, "name")``); the loader appends it to the model's own location,
    so the message names the line and field that hold the bad value."""

    def __init__(self, path: tuple[str | int, ...], message: str, hint: str = ""):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message
        self.hint = hint
