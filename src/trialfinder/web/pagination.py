"""Links to the pages of a list (search results, a trial's sites): previous, next, the first and last, and a few
around the current one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trialfinder.views.links import Pairs, search_url

AROUND = 2  # pages listed on each side of the current one


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int | None  # None: a gap ("…")
    href: str | None
    current: bool = False


@dataclass(frozen=True, slots=True)
class Pagination:
    page: int
    pages: int
    previous: str | None
    next: str | None
    links: tuple[PageLink, ...]


def pagination(pairs: Pairs, page: int, pages: int, last_allowed: int) -> Pagination | None:
    """The pages of search results (`page` in the search's own parameters)."""
    return page_links(
        page, min(pages, last_allowed), lambda number: search_url(pairs, page=str(number) if number > 1 else None)
    )


def page_links(page: int, pages: int, href: Callable[[int], str]) -> Pagination | None:
    """Links to `pages` pages, `page` the current one; None when there is only one."""
    if pages <= 1 and page <= 1:
        return None
    shown = sorted({1, pages, *range(max(1, page - AROUND), min(pages, page + AROUND) + 1)})
    links: list[PageLink] = []
    for number in shown:
        if links and links[-1].number is not None and number - links[-1].number > 1:
            links.append(PageLink(None, None))
        links.append(PageLink(number, href(number), number == page))
    return Pagination(
        page=page,
        pages=pages,
        previous=href(min(page - 1, pages)) if page > 1 else None,
        next=href(page + 1) if page < pages else None,
        links=tuple(links),
    )
