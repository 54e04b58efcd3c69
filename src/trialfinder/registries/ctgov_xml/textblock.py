"""Legacy ClinicalTrials.gov `<textblock>` text -> the Markdown that ClinicalTrials.gov API v2 serves. Pure; never raises.

The legacy XML carries long text as ClinicalTrials.gov's plain-text rendering of it: hard-wrapped at about
80 columns, `\\r\\n` line ends, blocks separated by blank lines, bullets written `-  ` and numbered items
`1. ` (numbers right-aligned, so `10.` sits one column left of `9.`), nesting shown by indentation (five
columns a level). v2 serves the same text as CommonMark, and that is the shape produced here:

* every paragraph and list item reflowed onto one line;
* bullets as `* `, numbered items keep their number (`1. `); a nested list is indented by its parent's
  marker width (two spaces under `* `, three under `1. `) and preceded by a blank line, siblings follow
  each other line by line, blocks are separated by a blank line;
* a top-level bullet that is only a heading (`-  INCLUSION CRITERIA:`) becomes a heading line, its items
  top-level items;
* the characters v2 escapes (`* < > [ ] ^`, backtick, backslash) are backslash-escaped, and so is anything
  at the start of a paragraph that Markdown would read as structure (`1.`, `- `, `#`, `___`).

Marker-looking text that only continues a wrapped line (`...for 5\\n- 7 days`) is not a marker: a marker
counts only at the start of a block.
"""

from __future__ import annotations

import re

# A bullet at the start of a block: the legacy `-  `, or a bullet the registrant typed.
_BULLET = re.compile(r"([-*+•·◦▪‣⁃●○■□])(?:\s+|$)")
# A numbered item: `1.` or `1)` then a space. Lettered and roman items (`a.`, `IV.`) are not Markdown lists.
_NUMBER = re.compile(r"(\d{1,3})([.)])\s+")
# A top-level bullet that only names a section, as NIH Clinical Center records write their headings.
_HEADING = re.compile(
    r"(?:key\s+)?(?:inclusion|exclusion|eligibility)(?:\s*(?:/|and|&)\s*exclusion)?\s+criteria\b[^.:]{0,40}:?",
    re.IGNORECASE,
)
_SPECIAL = re.compile(r"[\\*<>\[\]^`]")
# At the start of a paragraph: an ordered-list marker, a bullet, an ATX heading, a fence or a thematic break.
_ORDERED_START = re.compile(r"(\d{1,9})([.)])(?=\s|$)")
_BLOCK_START = re.compile(r"[-+](?:\s|$)|#{1,6}(?:\s|$)|~~~|(?:[-_]\s*){3,}$")
_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")  # one or more blank lines
_MAX_DEPTH = 8  # deeper indentation is flattened: no registry nests further, and it bounds the recursion
_NESTING_STEP = 3  # a marker this many columns right of the previous one opens a nested list


class _Item:
    __slots__ = ("children", "prefix", "text")

    def __init__(self, prefix: str, text: str) -> None:
        self.prefix = prefix  # "* ", "1. ", "2) "
        self.text = text
        self.children: list[str | _Item] = []


def to_markdown(text: str | None) -> str:
    """The Markdown for one legacy textblock; "" for empty or non-text input."""
    if not isinstance(text, str) or not text:
        return ""
    root: list[str | _Item] = []
    # Open containers, innermost last: (marker column, content column, children of the container).
    stack: list[tuple[int, int, list[str | _Item]]] = [(-_NESTING_STEP, 0, root)]
    for indent, first_line, block in _blocks(text):
        bullet = _BULLET.match(first_line)
        number = None if bullet else _NUMBER.match(first_line)
        marker = bullet or number
        if marker is None:
            while len(stack) > 1 and indent < stack[-1][1]:
                stack.pop()
            stack[-1][2].append(block)
            continue
        while len(stack) > 1 and (indent < stack[-1][0] + _NESTING_STEP or len(stack) > _MAX_DEPTH):
            stack.pop()
        siblings = stack[-1][2]
        # The block is the first line reflowed, so the marker is at its start followed by at most one space.
        content = block[len(marker.group(0).rstrip()) :].lstrip()
        entry_children = siblings  # an item without text, or a heading, leaves its sub-items where it stands
        if not content:
            pass
        elif siblings is root and _HEADING.fullmatch(content):
            root.append(content)
        else:
            prefix = "* " if number is None else f"{number.group(1)}{number.group(2)} "
            item = _Item(prefix, content)
            siblings.append(item)
            entry_children = item.children
        stack.append((indent, indent + marker.end(), entry_children))
    return "\n\n".join(_render(root))


def _blocks(text: str) -> list[tuple[int, str, str]]:
    """The runs of non-blank lines: (indent of the first line, the first line, the run reflowed on one line)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.expandtabs(4)
    blocks: list[tuple[int, str, str]] = []
    for run in _BLANK_LINES.split(text):
        content = run.lstrip()
        if not content:
            continue
        lead = run[: len(run) - len(content)]
        indent = len(lead) - lead.rfind("\n") - 1
        blocks.append((indent, content.split("\n", 1)[0].rstrip(), " ".join(content.split())))
    return blocks


def _render(children: list[str | _Item]) -> list[str]:
    """The Markdown blocks of a container: paragraphs, and runs of items of one kind as one list each."""
    rendered: list[str] = []
    run: list[str] = []
    kind = ""
    for child in children:
        if isinstance(child, str):
            if run:
                rendered.append("\n".join(run))
                run = []
            rendered.append(_escape(child))
            continue
        child_kind = child.prefix[-2:]  # "* ", ". " or ") ": a different marker starts a different list
        if run and child_kind != kind:
            rendered.append("\n".join(run))
            run = []
        kind = child_kind
        run.append(_render_item(child))
    if run:
        rendered.append("\n".join(run))
    return rendered


def _render_item(item: _Item) -> str:
    body = "\n\n".join([item.prefix + _escape(item.text), *_render(item.children)])
    if "\n" not in body:
        return body
    pad = " " * len(item.prefix)
    first, *rest = body.split("\n")
    return "\n".join([first, *(pad + line if line else line for line in rest)])


def _escape(text: str) -> str:
    """Text as a Markdown paragraph that reads back as the same text."""
    escaped = _SPECIAL.sub(r"\\\g<0>", text)
    if match := _ORDERED_START.match(escaped):
        return f"{match.group(1)}\\{escaped[match.end(1) :]}"
    if _BLOCK_START.match(escaped):
        return "\\" + escaped
    return escaped
