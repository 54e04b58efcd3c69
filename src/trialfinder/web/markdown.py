"""Registry text (CommonMark) as safe HTML.

Registry text is written by study teams, not by us: raw HTML is disabled (it is shown as text), links may only
be http, https or mailto (never javascript: or data:), and images are not rendered (a remote image would tell
its host who reads the page; the CSP would block it anyway). Headings are moved down the page's outline so that
a `#` in a summary never outranks the section it sits in.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
MAX_SOURCE = 200_000  # characters; registry fields are far shorter, so this only stops pathological input


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(ALLOWED_SCHEMES)


@lru_cache(maxsize=6)
def _parser(heading_level: int) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = _validate_link

    def heading(self, tokens, idx, options, env):
        token = tokens[idx]
        level = min(6, heading_level + int(token.tag[1]) - 1)
        token.tag = f"h{level}"
        return self.renderToken(tokens, idx, options, env)

    def link_open(self, tokens, idx, options, env):
        # Links lead off the site: the reader should know it, and the target gets neither referrer nor opener.
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        tokens[idx].attrSet("class", "external")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    md.add_render_rule("link_open", link_open)
    return md


def render_markdown(text: str | None, *, heading_level: int = 4) -> Markup:
    """`text` as HTML; its `#` headings become h`heading_level` and below."""
    if not text:
        return Markup("")
    return Markup(_parser(heading_level).render(text[:MAX_SOURCE]))
