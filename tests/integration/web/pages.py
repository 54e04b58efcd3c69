"""Reading pages in tests: the text of elements, found by id, class or tag, without a browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "br",
    "details", "summary", "header", "footer", "nav", "main", "aside", "form", "fieldset", "legend", "table", "tr", "td",
}  # fmt: skip
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element | str] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        """The text as a reader sees it: block elements apart, inline ones run together, spaces collapsed."""
        return " ".join(self._raw().split())

    def _raw(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag in BLOCKS:
                parts.append(f" {child._raw()} ")
            else:
                parts.append(child._raw())
        return "".join(parts)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> list[Element]:
        found = []
        for element in self.iter():
            if tag and element.tag != tag:
                continue
            if cls and cls not in element.classes:
                continue
            if any(element.attrs.get(name.rstrip("_").replace("_", "-")) != value for name, value in attrs.items()):
                continue
            found.append(element)
        return found

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, cls=cls, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> Element:
        found = self.find(id=element_id)
        assert found is not None, f"no element with id {element_id!r}"
        return found


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def hit_ids(html: str) -> list[str]:
    """The NCT ids of the hits on a search page, in their order."""
    return re.findall(r'<article aria-labelledby="hit-(NCT\d{8})"', html)
