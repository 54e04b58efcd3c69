"""Pages from Jinja2 templates, in the request's language.

One Jinja environment per language, each with its gettext catalog installed (new-style gettext: `_()` escapes
the values it formats). Autoescaping is on everywhere and undefined names are errors, so a page can never show
a raw `{{ SITE_NAME }}`: a template that names something it was not given fails its test instead.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from trialfinder.views import links
from trialfinder.views.compiled_templates import CompiledTemplates
from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import LANGUAGES, Catalogs
from trialfinder.views.vocabulary import status_class
from trialfinder.web.highlight import highlight
from trialfinder.web.i18n import LANGUAGE_NAMES
from trialfinder.web.markdown import render_markdown

SITE_NAME = "trialfinder"
# Every page environment is built with the options below, so all share the code compiled for a template.
_COMPILED = CompiledTemplates()


class Renderer:
    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        self.static_versions = _static_versions()
        loader = PackageLoader("trialfinder.web", "templates")
        self.environments: dict[str, Environment] = {}
        for language in LANGUAGES:
            env = Environment(
                loader=loader,
                autoescape=True,
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
                bytecode_cache=_COMPILED,
            )
            # Whitespace inside {% trans %} is collapsed, so that msgids are one line; the extractor is told the same.
            env.policies["ext.i18n.trimmed"] = True
            env.install_gettext_translations(catalogs[language], newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(
                site_name=SITE_NAME,
                highlight=highlight,
                markdown=render_markdown,
                search_url=links.search_url,
                trial_url=links.trial_url,
                static_url=self.static_url,
                status_class=status_class,
            )
            self.environments[language] = env

    def static_url(self, name: str) -> str:
        """A static file's URL with its content's hash, so that a browser never keeps an old copy after an upgrade."""
        return f"/static/{name}?v={self.static_versions.get(name, '0')}"

    def formatter(self, request: Request) -> Formatter:
        language = language_of(request)
        return Formatter(language, self.catalogs[language])

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        language = language_of(request)
        page = self.environments[language].get_template(template)
        html = page.render(
            request_path=_safe_path(request.url.path),
            lang=language,
            fmt=Formatter(language, self.catalogs[language]),
            language_links=_language_links(request),
            **(context or {}),
        )
        return HTMLResponse(html, status_code=status_code, headers=headers)


def language_of(request: Request) -> str:
    return getattr(request.state, "language", LANGUAGES[0])


def _safe_path(path: str) -> str:
    # "//host" and "/\host" are links to another site in browsers: a path is only ever this site's.
    return "/" + path.lstrip("/\\")


def _language_links(request: Request) -> list[dict[str, str]]:
    """This page in each language: the same path and parameters, with `lang` set."""
    pairs = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    path = _safe_path(request.url.path)
    return [
        {"code": code, "name": LANGUAGE_NAMES[code], "href": links.url(path, [*pairs, ("lang", code)])}
        for code in LANGUAGES
    ]


def _static_versions() -> dict[str, str]:
    folder = resources.files(__package__).joinpath("static")
    return {
        item.name: hashlib.sha256(item.read_bytes()).hexdigest()[:12] for item in folder.iterdir() if item.is_file()
    }
