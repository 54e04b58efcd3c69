"""The items of a JSON array found without decoding them, for pages that hold one record too deeply nested to decode.

msgspec (like every recursive decoder) refuses a document nested deeper than Python's recursion limit, about a
thousand levels, with RecursionError, even when the deep part is one study among a thousand on a `/studies` page.
No registry record comes near that depth (ClinicalTrials.gov records nest about ten levels), so such a record is
malformed, but its page's other studies are not: `split_array` cuts the page into its items with a flat scan of
its strings and brackets, so that each item is decoded (or refused) on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NESTED_TOO_DEEPLY = "the JSON is nested too deeply (more than about a thousand levels) to be a registry record"

# A JSON string (escapes included) or one structural character; everything else (numbers, literals, blanks) lies
# between them and needs no attention here.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]', re.DOTALL)


@dataclass(frozen=True, slots=True)
class UnreadableStudy:
    """In place of a study on a page that could not be decoded on its own (nested too deeply): why, in one line."""

    reason: str


@dataclass(frozen=True, slots=True)
class SplitArray:
    items: list[bytes]  # each item's bytes as written
    rest: bytes  # the document with the array emptied (`[]`), to decode what surrounds it


def split_array(data: bytes, key: str | None = None) -> SplitArray | None:
    """The items of the top-level array (`key` None) or of the array that is member `key` of the top-level object;
    None when the document has no such array or its brackets do not balance."""
    want = None if key is None else b'"' + key.encode() + b'"'
    depth = 0
    target = None if want is not None else 1  # the depth inside the array whose items are wanted
    array_start = item_start = -1
    items: list[bytes] = []
    last_string: bytes | None = None
    after_key = False  # the previous token was the wanted key's colon, at depth 1
    for token in _TOKEN.finditer(data):
        text = token.group()
        first = text[:1]
        if first == b'"':
            last_string = text if depth == 1 else None
            after_key = False
            continue
        if first == b":":
            after_key = depth == 1 and last_string == want
            continue
        if first in (b"[", b"{"):
            if depth == 0 and ((want is None) != (first == b"[")):
                return None  # a list where an object was wanted, or the other way round
            depth += 1
            if target is None and after_key and first == b"[" and depth == 2:
                target = 2
                array_start = item_start = token.end()
            elif target == 1 and depth == 1:
                array_start = item_start = token.end()
            after_key = False
            continue
        after_key = False
        if first == b",":
            if depth == target:
                items.append(data[item_start : token.start()].strip())
                item_start = token.end()
            continue
        # a closing bracket
        if depth == 0:
            return None
        if depth == target and first == b"]":
            last = data[item_start : token.start()].strip()
            if last or items:
                items.append(last)
            rest = data[:array_start] + data[token.start() :]
            if _balanced_after(data, token.end(), depth - 1):
                return SplitArray(items, rest)
            return None
        depth -= 1
    return None


def _balanced_after(data: bytes, start: int, depth: int) -> bool:
    """Whether the brackets from `start` on close the `depth` still open, and nothing but blanks follows."""
    if depth == 0:
        return not data[start:].strip()
    end = len(data)
    for token in _TOKEN.finditer(data, start):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
        elif first in (b"]", b"}"):
            depth -= 1
            if depth < 0:
                return False
            if depth == 0:
                end = token.end()
                break
    return depth == 0 and not data[end:].strip()
