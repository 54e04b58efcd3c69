"""Control characters in text that came from outside: escaped where such text reaches a log line or a terminal, and
found in what a person types, so that a form can refuse it instead of failing to store it.

A request's path, a file or archive member name and a record's reasons are attacker-chosen text: written as they are,
a newline forges a log line, an escape sequence rewrites the terminal, a bidirectional override hides what follows.
`printable` writes each such character as a backslash escape (`\\n`, `\\x1b`, `\\u202e`); a backslash itself is left
as it is, so ordinary names stay readable.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the Unicode line and paragraph separators (some log viewers break lines at them);
# the bidirectional embeddings, overrides and isolates; lone surrogates (file names that were not UTF-8, as Python
# decodes them), which a UTF-8 log file cannot even hold.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# In typed text: the controls but tab and line breaks. Nobody types them (they come pasted from another program, or
# forged), and PostgreSQL cannot store NUL in text at all.
_TYPED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with every control character written as a backslash escape: safe for one log line or terminal line."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    short = _SHORT.get(character)
    if short is not None:
        return short
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_typed_control_characters(text: str) -> bool:
    """Whether typed text (which may span lines) holds a control character other than a tab or a line break."""
    return _TYPED_CONTROL.search(text) is not None


def without_typed_control_characters(text: str) -> str:
    """Typed text without the control characters `has_typed_control_characters` finds."""
    return _TYPED_CONTROL.sub("", text)
