"""Characters that are not what they look like: look-alikes of ASCII letters, invisible and control
characters, and the error for a value that must be ASCII."""

from __future__ import annotations

import unicodedata

from ..plan.errors import FieldValueError

# Letters of other scripts that look like ASCII ones (the usual suspects of a homoglyph attack);
# fullwidth and accented letters are found by Unicode normalization instead.
_LOOKALIKES = {
    "а": "a", "с": "c", "ԁ": "d", "е": "e", "ɡ": "g", "һ": "h", "і": "i", "ј": "j", "ӏ": "l", "о": "o",
    "р": "p", "ԛ": "q", "ѕ": "s", "ѵ": "v", "ԝ": "w", "х": "x", "у": "y", "ı": "i", "ɑ": "a", "ο": "o",
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "υ": "u", "ℓ": "l", "‐": "-", "‑": "-", "‒": "-",
    "–": "-", "—": "-", "−": "-",
}  # fmt: skip


def lookalike(ch: str) -> str | None:
    """The ASCII character ``ch`` passes for, if any."""
    if ch in _LOOKALIKES:
        return _LOOKALIKES[ch]
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded.isascii() and folded.strip():
        return folded
    stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if stripped != ch and stripped.isascii() and stripped.strip():
        return stripped
    return None


def describe_character(ch: str) -> str:
    """``'а' (U+0430 CYRILLIC SMALL LETTER A) looks like 'a'``: what a character that is not what it seems is."""
    name = unicodedata.name(ch, "a control character" if unicodedata.category(ch) == "Cc" else "an unnamed character")
    invisible = not ch.isprintable() or unicodedata.category(ch) in ("Cf", "Zl", "Zp")
    shown = "a space" if ch.isspace() and not invisible else ("an invisible character" if invisible else f"'{ch}'")
    text = f"{shown} (U+{ord(ch):04X} {name})"
    like = lookalike(ch)
    if like and like.strip():
        return f"{text} looks like '{like}'"
    if invisible:
        return f"{text} that you cannot see"
    return text


def first_non_ascii(value: str) -> tuple[int, str] | None:
    """Position (1-based) and description of the first non-ASCII character of ``value``."""
    for i, ch in enumerate(value):
        if not ch.isascii():
            return i + 1, describe_character(ch)
    return None


def ascii_twin(value: str) -> str:
    """``value`` with every look-alike replaced by the ASCII character it passes for, invisible characters dropped."""
    return "".join(lookalike(c) or c for c in value if unicodedata.category(c) != "Cf")


def not_ascii_error(value: str, what: str, hint: str) -> FieldValueError:
    found = first_non_ascii(value)
    assert found is not None
    pos, desc = found
    return FieldValueError((), f"'{value}' has a non-ASCII character at position {pos}: {desc}; {what} is ASCII only", hint)
