""" "Trials for me": a person describes themselves (or uploads a FHIR bundle of their record) and sees the trials
that fit them, best first, each with how many of its criteria they meet (issue #18).

    GET  /match    the form
    POST /match    the description or the bundle read (`matching`), matched (`queries.match`), the trials listed

A description, a bundle and the answers kept from "Could I take part?" are personal health data. They travel in
the POST body only (never a URL or a cookie), are read and matched in memory and shown back only to the person who
sent them (the page is `private, no-store`); nothing here stores or logs them (DEVELOPERS.md, "Personal data").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trialfinder.domain.search import DEFAULT_RADIUS
from trialfinder.facts import Facts
from trialfinder.matching import EmptyDescription, Patient, patient_from_fhir, patient_from_text
from trialfinder.queries.match import MatchRequest, MatchResults, match
from trialfinder.storage.database import Database
from trialfinder.views.i18n import N_, Message
from trialfinder.web.api import UnreadableJson, read_json
from trialfinder.web.eligibility import NO_STORE
from trialfinder.web.forms import (
    CSRF_FIELD,
    FieldErrors,
    FormTooLarge,
    FormUnreadable,
    client_key,
    csrf_ok,
    csrf_token,
    read_form_with_files,
    set_csrf_cookie,
)
from trialfinder.web.highlight import mark_spans
from trialfinder.web.params import FieldError, Location, parse_search
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rate_limits import RateLimiter
from trialfinder.web.rendering import Renderer, language_of

# A FHIR bundle with a patient's labs and history fits easily (as the eligibility API's body limit).
MAX_BODY = 2 * 1024 * 1024
# A long clinical note fits; the facts reader takes any length, but a page showing 100,000 characters back does not
# help anyone.
MAX_DESCRIPTION = 20_000
FIELDS = ("description", "location", "radius")
# Where the error summary's links lead.
FIELD_IDS = {"description": "f-description", "bundle": "f-bundle", "location": "f-location", "radius": "f-radius"}

# What each kind of fact is called in "What we read" (the facts package's class names).
FACT_KINDS = {
    "Age": N_("Age"),
    "Sex": N_("Sex"),
    "Condition": N_("Condition"),
    "Metastasis": N_("Spread of the cancer"),
    "Stage": N_("Stage"),
    "Lab": N_("Test result"),
    "Performance": N_("How well you manage daily activities"),
    "Biomarker": N_("Tumour marker"),
    "Pregnancy": N_("Pregnancy or breastfeeding"),
    "Treatment": N_("Treatment"),
    "NoHistory": N_("No earlier illnesses"),
    "Consent": N_("Consent"),
}
NOT_YOU = N_("read as: not you")
IN_THE_PAST = N_("read as: in the past")
IN_THE_FAMILY = N_("read as: a relative, not you")

BOTH = N_("Please give a description or a file, not both. To use the file, empty this box and choose the file again.")
NOTHING = N_("Describe yourself in a few words (for example your illness and its treatment), or choose a file.")
UNREAD = N_("We could not read anything about you in this. Name your illness, in a few words.")
UNUSABLE_FILE = N_(
    "We could not use this file: it needs to be a FHIR bundle (JSON) with your conditions, tests or medicines. You can describe yourself in the box instead."
)


@dataclass
class MatchForm(FieldErrors):
    """What was typed (shown back in the form), whether saved answers were used, and its mistakes."""

    values: dict[str, str]
    use_answers: bool = False
    errors: list[FieldError] = field(default_factory=list)
    notice: Message | None = None


@dataclass(frozen=True, slots=True)
class FactLine:
    """One fact in "What we read": its kind, the words it came from, and what it was read as when that says more."""

    kind: str  # a msgid of FACT_KINDS
    text: str
    meaning: str = ""
    qualifier: str | None = None  # a msgid: not you, in the past, a relative


TOO_MANY = N_("You have asked for many matches in a short time. Please wait a few minutes and try again.")


class TrialsForMe:
    def __init__(
        self,
        *,
        renderer: Renderer,
        database: Database,
        places: PlaceFinder,
        limiter: RateLimiter | None = None,
        today: Callable[[], date] = date.today,
    ):
        self.renderer = renderer
        self.database = database
        self.places = places
        self.limiter = limiter
        self.today = today

    def page(self, request: Request) -> Response:
        return self._form(request, MatchForm({name: "" for name in FIELDS} | {"radius": _number(DEFAULT_RADIUS)}))

    async def submit(self, request: Request) -> Response:
        empty = MatchForm({name: "" for name in FIELDS} | {"radius": _number(DEFAULT_RADIUS)})
        try:
            posted = await read_form_with_files(request, limit=MAX_BODY, max_fields=20)
        except FormTooLarge:
            empty.notice = Message(
                N_(
                    "What you sent was larger than we accept (2 MB). Please shorten the description or use a smaller file."
                )
            )
            return self._form(request, empty, status_code=413)
        except FormUnreadable:
            empty.notice = Message(N_("We could not read the form. Please fill it in again."))
            return self._form(request, empty, status_code=400)
        fields = posted.fields
        values = {name: fields.get(name, "") for name in FIELDS}
        form = MatchForm(values, use_answers=fields.get("use_answers") == "yes")
        if not csrf_ok(request, fields):
            form.notice = Message(
                N_("For your safety this form had expired, so nothing was read. Please check it and send it again.")
            )
            return self._form(request, form, status_code=403)

        description = values["description"]
        bundle = posted.files.get("bundle")
        if description and bundle:
            form.errors.append(FieldError("description", Message(BOTH)))
        elif not description and not bundle:
            form.errors.append(FieldError("description", Message(NOTHING)))
        elif len(description) > MAX_DESCRIPTION:
            form.errors.append(
                FieldError(
                    "description", Message(N_("Please use at most %(max)s characters."), {"max": MAX_DESCRIPTION})
                )
            )
        language = language_of(request)
        location, radius_km = self._location(values, language, form)
        if form.errors:
            return self._form(request, form, status_code=400)
        if self.limiter is not None and not self.limiter.hit(client_key(request)):
            form.notice = Message(TOO_MANY)
            return self._form(request, form, status_code=429)

        today = self.today()
        try:
            patient = await run_in_threadpool(_patient, description, bundle, language, today)
        except (EmptyDescription, UnreadableJson):  # UnreadableJson: not JSON, or nested too deeply to walk
            form.errors.append(
                FieldError("bundle", Message(UNUSABLE_FILE)) if bundle else FieldError("description", Message(UNREAD))
            )
            return self._form(request, form, status_code=400)
        asked = MatchRequest(
            patient=patient,
            today=today,
            point=location.point if location else None,
            radius_km=radius_km,
            language=language,
            answers=_answers(fields.get("answers", "")),
        )
        results = await run_in_threadpool(lambda: match(database=self.database, request=asked))
        return self._form(request, form, results=results, location=location, description=description)

    def _location(self, values: dict[str, str], language: str, form: MatchForm) -> tuple[Location | None, float]:
        """The place typed, found as the search page finds it (with its messages), and the radius in km with the
        search's bounds; the radius counts only with a place."""
        if not values["location"]:
            return None, DEFAULT_RADIUS
        values["radius"] = values["radius"] or _number(DEFAULT_RADIUS)
        reading = parse_search(
            [("location", values["location"]), ("radius", values["radius"])],
            find_place=self.places.for_language(language),
            language=language,
        )
        errors = [error for error in reading.errors if error.field in ("location", "radius")]
        form.errors.extend(errors)
        return (None, DEFAULT_RADIUS) if errors else (reading.location, reading.radius_km)

    def _form(
        self,
        request: Request,
        form: MatchForm,
        *,
        results: MatchResults | None = None,
        location: Location | None = None,
        description: str = "",
        status_code: int = 200,
    ) -> Response:
        token, new = csrf_token(request)
        fmt = self.renderer.formatter(request)
        patient = results.request.patient if results is not None else None
        context = {
            "form": form,
            "field_ids": FIELD_IDS,
            "csrf_field": CSRF_FIELD,
            "csrf_token": token,
            "current": "match",
            "max_description": MAX_DESCRIPTION,
            "results": results,
            "near_label": fmt.location(location) if location else None,
            "radius_km": results.request.radius_km if results is not None else None,
            "marked": _marked(description, patient.found) if patient is not None and description else None,
            "fact_lines": _fact_lines(patient.found) if patient is not None else [],
            "problems": len(patient.problems) if patient is not None else 0,
        }
        response = self.renderer.render(request, "match.html", context, status_code=status_code, headers=NO_STORE)
        if new:
            set_csrf_cookie(response, request, token)
        return response


def _patient(description: str, bundle: bytes | None, language: str, today: date) -> Patient:
    if bundle:
        return patient_from_fhir(read_json(bundle))
    return patient_from_text(description, language=language, today=today)


def _answers(text: str) -> dict[str, str] | None:
    """The answers kept from "Could I take part?", as the browser sent them: a JSON object of strings, or nothing."""
    try:
        answers = read_json(text.encode()) if text else None
    except UnreadableJson:
        return None
    if not isinstance(answers, dict) or not all(isinstance(value, str) for value in answers.values()):
        return None
    return {key: value for key, value in answers.items() if key not in (CSRF_FIELD, "action")} or None


def _marked(description: str, found: Facts) -> Markup:
    return mark_spans(description, [fact.span for fact in found.all()])


def _fact_lines(found: Facts) -> list[FactLine]:
    """Each fact read, once (a note that says "liver metastases" three times lists it once; the text marks all
    three)."""
    lines = []
    for fact in found.all():
        kind = type(fact).__name__
        if kind not in FACT_KINDS:
            continue
        qualifier = None
        if getattr(fact, "family", False):
            qualifier = IN_THE_FAMILY
        elif getattr(fact, "negated", False):
            qualifier = NOT_YOU
        elif getattr(fact, "history", False):
            qualifier = IN_THE_PAST
        meaning = getattr(fact, "name", "") or ""
        lines.append(FactLine(FACT_KINDS[kind], fact.text, meaning if meaning != fact.text else "", qualifier))
    return list(dict.fromkeys(lines))


def _number(value: float) -> str:
    return f"{value:g}"
