"""Emails from templates: subject, text and HTML in `templates/<name>/`, in the recipient's language.

They use the site's gettext catalogs (views.i18n), so their words are translated with the pages'. Undefined names are
errors, and so is a `None` reaching the output: an email can never say "None" or show a raw placeholder. What each
email says is its action's business (actions/referral_emails.py, actions/subscription_emails.py, actions/notes.py).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from trialfinder.notifications.email import OutgoingEmail
from trialfinder.views.compiled_templates import CompiledTemplates
from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import LANGUAGES, Catalogs

# Compiled code differs with autoescape (HTML bodies) or not (subjects and text bodies): one store for each.
_COMPILED = {html: CompiledTemplates() for html in (False, True)}


class RenderError(ValueError):
    """A template produced something it must never produce (a None, an empty subject)."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise RenderError("a template tried to show None")
    return value


class EmailRenderer:
    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        loader = PackageLoader("trialfinder.notifications", "templates")
        self.environments: dict[tuple[str, bool], Environment] = {}
        for language in LANGUAGES:
            for html in (False, True):
                env = Environment(
                    loader=loader,
                    autoescape=html,
                    undefined=StrictUndefined,
                    finalize=_finalize,
                    extensions=["jinja2.ext.i18n"],
                    trim_blocks=True,
                    lstrip_blocks=True,
                    keep_trailing_newline=True,
                    bytecode_cache=_COMPILED[html],
                )
                env.policies["ext.i18n.trimmed"] = True
                env.install_gettext_translations(catalogs[language], newstyle=True)  # type: ignore[attr-defined]
                self.environments[(language, html)] = env

    def formatter(self, language: str) -> Formatter:
        return Formatter(language, self.catalogs[language])

    def render(self, name: str, language: str, context: dict[str, Any], *, to: str, reply_to: str | None = None):
        language = language if language in LANGUAGES else LANGUAGES[0]
        values = {"lang": language, "fmt": self.formatter(language), **context}
        subject = self.environments[(language, False)].get_template(f"{name}/subject.txt").render(values)
        subject = " ".join(subject.split())
        text = self.environments[(language, False)].get_template(f"{name}/body.txt").render(values)
        html = self.environments[(language, True)].get_template(f"{name}/body.html").render(values)
        if not subject:
            raise RenderError(f"{name}: empty subject")
        return OutgoingEmail(to=to, subject=subject, text=text, html=html, reply_to=reply_to)
