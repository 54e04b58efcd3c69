"""Links that keep a search: the same parameters with one thing changed (a page, a filter, the language)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode

Pairs = Sequence[tuple[str, str]]


def url(path: str, pairs: Iterable[tuple[str, str]] = ()) -> str:
    query = urlencode([(key, value) for key, value in pairs if value != ""])
    return f"{path}?{query}" if query else path


def changed(pairs: Pairs, changes: Mapping[str, str | Sequence[str] | None]) -> list[tuple[str, str]]:
    """`pairs` with each parameter named in `changes` replaced (None or [] removes it), in a stable order."""
    kept = [(key, value) for key, value in pairs if key not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, str):
            kept.append((key, value))
        else:
            kept.extend((key, item) for item in value)
    return kept


def search_url(pairs: Pairs, **changes: str | Sequence[str] | None) -> str:
    return url("/trials", changed(pairs, changes))


def trial_url(nct_id: str, pairs: Pairs = ()) -> str:
    """A trial's page; the search's parameters go along so that the page can give distances and a way back."""
    return url(f"/trials/{nct_id}", pairs)
