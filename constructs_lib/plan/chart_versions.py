"""Chart versions and version constraints, as a plan writes them in ``charts.<component>.version``.

The grammar is the part of Helm's (Masterminds semver) a platform team needs, with one range per
constraint so that what it admits is known before anything is fetched:

- exact: ``8.1.3``, ``v1.17.2`` (cert-manager's versions carry a leading ``v``; it is ignored when comparing);
- wildcards: ``8.x``, ``8.1.x`` (also ``8``, ``8.1``, ``8.*``);
- tilde: ``~1.17`` (>=1.17.0,<1.18.0), ``~1.17.2`` (>=1.17.2,<1.18.0), ``~1`` (>=1.0.0,<2.0.0);
- caret: ``^4.12`` (>=4.12.0,<5.0.0); for 0.x, the minor: ``^0.17`` (>=0.17.0,<0.18.0);
- comparisons joined by commas (or spaces): ``>=7.6,<9``, ``>8.0.0 <=8.1.3``.

``latest``, ``*`` and ``x`` are refused: they would take whatever the repository publishes next,
an upgrade nobody reviewed. Alternatives (``||``) and exclusions (``!=``) are refused too.
A prerelease (``9.0.0-rc.1``) is admitted only by a constraint that names a prerelease.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION_RE = re.compile(r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?")
_PARTIAL_RE = re.compile(r"v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?")
_OPERATORS = (">=", "<=", "!=", "~>", "=", ">", "<", "~", "^")
_UNREVIEWED = {"latest", "*", "x", "stable", ""}
MAX_SERIES = 64  # a range admitting more series than this is unbounded for every practical purpose

Key = tuple  # (major, minor, patch, prerelease order): comparable


class ConstraintError(ValueError):
    """A constraint infraplan cannot accept, with the reason and how to write it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, order=False)
class Version:
    """A SemVer 2 chart version as a repository publishes it (``text`` kept as written: ``v1.17.2``)."""

    text: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()

    @property
    def key(self) -> Key:
        return (self.major, self.minor, self.patch, _prerelease_order(self.prerelease))

    @property
    def series(self) -> str:
        """The major, or ``0.<minor>`` for a 0.x version (as :func:`constructs_lib.addons.base.chart_series`)."""
        return f"0.{self.minor}" if self.major == 0 else str(self.major)


def _prerelease_order(ids: tuple[str, ...]) -> tuple:
    """SemVer precedence: a release sorts after its prereleases; numeric identifiers before alphanumeric ones."""
    if not ids:
        return (1,)
    return (0, *((0, int(i), "") if i.isdigit() else (1, 0, i) for i in ids))


def parse_version(text: str) -> Version | None:
    """The version ``text`` names, or None if it is no SemVer 2 version (an index may list such entries)."""
    m = VERSION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        return None
    return Version(text.strip(), int(m[1]), int(m[2]), int(m[3]), tuple(m[4].split(".")) if m[4] else ())


@dataclass(frozen=True)
class Bound:
    key: Key
    inclusive: bool


@dataclass(frozen=True)
class Constraint:
    """One version range: ``lower`` and ``upper`` bounds (None: unbounded), and whether prereleases count."""

    text: str
    lower: Bound | None
    upper: Bound | None
    prereleases: bool

    def allows(self, version: Version) -> bool:
        if version.prerelease and not self.prereleases:
            return False
        k = version.key
        if self.lower is not None and (k < self.lower.key or (k == self.lower.key and not self.lower.inclusive)):
            return False
        if self.upper is not None and (k > self.upper.key or (k == self.upper.key and not self.upper.inclusive)):
            return False
        return True

    def below(self, version: Version) -> bool:
        """Whether ``version`` is under the range (for naming the nearest versions when none matches)."""
        k = version.key
        return self.lower is not None and (k < self.lower.key or (k == self.lower.key and not self.lower.inclusive))

    def series(self) -> list[str] | None:
        """Every chart series (major, or 0.<minor>) a version in the range may belong to; None when unbounded."""
        if self.upper is None:
            return None
        lo = self.lower.key if self.lower is not None else (0, 0, 0, (0,))
        hi = self.upper.key
        # The last version the range may hold: below X.0.0 (or 0.Y.0), exclusive, ends in the series before it.
        last_major, last_minor = hi[0], hi[1]
        if not self.upper.inclusive and hi[2] == 0 and hi[3] in ((0,), (1,)):
            if hi[0] > 0 and hi[1] == 0:
                last_major, last_minor = hi[0] - 1, None
            elif hi[0] == 0 and hi[1] > 0:
                last_minor = hi[1] - 1
        out: list[str] = []
        if lo[0] == 0:
            if last_major > 0:
                return None  # every 0.<minor> above lo: unbounded
            last = last_minor if last_minor is not None else lo[1]
            if last - lo[1] + 1 > MAX_SERIES:
                return None  # counted before listed: <0.99999999 must not build a list of millions
            out += [f"0.{m}" for m in range(lo[1], last + 1)]
        first = max(lo[0], 1)
        if last_major - first + 1 + len(out) > MAX_SERIES:
            return None
        out += [str(m) for m in range(first, last_major + 1)]
        return out


def _fill(parts: list[int]) -> tuple[int, int, int]:
    return (parts + [0, 0, 0])[0], (parts + [0, 0, 0])[1], (parts + [0, 0, 0])[2]


def _next(parts: list[int]) -> Key:
    """The first version after every version the partial ``parts`` names (``8`` -> 9.0.0, ``8.1`` -> 8.2.0)."""
    if len(parts) == 1:
        return (parts[0] + 1, 0, 0, (0,))
    return (parts[0], parts[1] + 1, 0, (0,))


def _clause(op: str, text: str, whole: str) -> tuple[Bound | None, Bound | None, bool]:
    m = _PARTIAL_RE.fullmatch(text)
    if m is None:
        raise ConstraintError(f"'{whole}' is not a version constraint: '{text}' is no version", "write e.g. 8.1.3, 8.x, ~1.17, ^4.12 or >=7.6,<9")
    fields = [m[1], m[2], m[3]]
    parts: list[int] = []
    for i, f in enumerate(fields):
        if f is None or f in "xX*":
            if any(g is not None and g not in "xX*" for g in fields[i + 1 :]):
                raise ConstraintError(f"'{whole}': a wildcard is followed by a number in '{text}'", "write 8.x or 8.1.x")
            break
        parts.append(int(f))
    pre = tuple(m[4].split(".")) if m[4] else ()
    if pre and len(parts) < 3:
        raise ConstraintError(f"'{whole}': a prerelease needs a whole version ('{text}')", "write e.g. 9.0.0-rc.1")
    if not parts:
        raise ConstraintError(f"'{whole}' admits every version: an upgrade nobody reviewed", "name a series (8.x, ~1.17, ^4.12) or an exact version")
    exact = len(parts) == 3
    point: Key = (*_fill(parts), _prerelease_order(pre))  # the exact version
    low: Key = (*_fill(parts), (0,))  # the first version a partial one names (below its prereleases)
    if op in ("", "="):
        return (Bound(point, True), Bound(point, True), bool(pre)) if exact else (Bound(low, True), Bound(_next(parts), False), False)
    if op == ">=":
        return Bound(point if exact else low, True), None, bool(pre)
    if op == ">":
        return (Bound(point, False), None, bool(pre)) if exact else (Bound(_next(parts), True), None, False)
    if op == "<":
        return None, Bound(point if exact else low, False), bool(pre)
    if op == "<=":
        return (None, Bound(point, True), bool(pre)) if exact else (None, Bound(_next(parts), False), False)
    if op in ("~", "~>"):
        upper = _next(parts[:2]) if len(parts) >= 2 else _next(parts)
        return Bound(point if exact else low, True), Bound(upper, False), bool(pre)
    # ^: the same major; for 0.x the same minor
    if parts[0] > 0 or len(parts) == 1:
        upper = _next(parts[:1])
    else:
        upper = _next(parts[:2])
    return Bound(point if exact else low, True), Bound(upper, False), bool(pre)


def parse_constraint(text: str) -> Constraint:
    """The range ``text`` states, or :class:`ConstraintError` saying why it is refused."""
    if not isinstance(text, str):
        raise ConstraintError("a version constraint is text", 'quote it: version: "8.x"')
    whole = text.strip()
    if whole.lower() in _UNREVIEWED or whole in ("X", "x.x.x", "*.*.*"):
        raise ConstraintError(
            f"'{whole}' is refused: it takes whatever the repository publishes next, an upgrade nobody reviewed (and possibly a major infraplan has no values for)",
            "name a series (8.x, ~1.17, ^4.12) or an exact version; `infraplan charts lock --update <component>` takes newer releases within it deliberately",
        )
    if "||" in whole:
        raise ConstraintError(f"'{whole}': alternatives (||) are not supported", "write one range, e.g. >=7.6,<9")
    normalized = re.sub(r"(>=|<=|!=|~>|=|>|<|~|\^)\s+", r"\1", whole)
    lower: Bound | None = None
    upper: Bound | None = None
    prereleases = False
    for clause in (c for c in re.split(r"[,\s]+", normalized) if c):
        op = next((o for o in _OPERATORS if clause.startswith(o)), "")
        if op == "!=":
            raise ConstraintError(f"'{whole}': exclusions (!=) are not supported", "bound the range instead, e.g. >=8.1.4,<9")
        lo, hi, pre = _clause(op, clause[len(op) :], whole)
        prereleases |= pre
        if lo is not None and (lower is None or lo.key > lower.key or (lo.key == lower.key and not lo.inclusive)):
            lower = lo
        if hi is not None and (upper is None or hi.key < upper.key or (hi.key == upper.key and not hi.inclusive)):
            upper = hi
    if lower is not None and upper is not None and (lower.key > upper.key or (lower.key == upper.key and not (lower.inclusive and upper.inclusive))):
        raise ConstraintError(f"'{whole}' admits no version: its lower bound is above its upper bound", "write e.g. >=7.6,<9")
    return Constraint(whole, lower, upper, prereleases)


def best_match(constraint: Constraint, versions: list[str]) -> str | None:
    """The highest of ``versions`` the constraint allows (as written in the repository), or None."""
    allowed = [v for v in map(parse_version, versions) if v is not None and constraint.allows(v)]
    return max(allowed, key=lambda v: v.key).text if allowed else None


def nearest(constraint: Constraint, versions: list[str], count: int = 3) -> list[str]:
    """The releases closest to the range on each side (to say what a constraint that matches nothing missed)."""
    parsed = sorted((v for v in map(parse_version, versions) if v is not None and not v.prerelease), key=lambda v: v.key)
    below = [v.text for v in parsed if constraint.below(v)]
    above = [v.text for v in parsed if not constraint.below(v) and not constraint.allows(v)]
    return below[-count:] + above[:count]
