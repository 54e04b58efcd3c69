""" "Could I take part?": a trial's own criteria as a questionnaire, and the answer criterion by criterion.

    GET  /trials/{nct_id}/eligibility                 the questions (only those the criteria need)
    POST /trials/{nct_id}/eligibility                 the answers, assessed: a printable summary
    GET  /api/trials/{nct_id}/eligibility/questions   the questions as JSON
    POST /api/trials/{nct_id}/eligibility             facts (questionnaire answers) and/or a FHIR R4 Bundle -> verdicts

Answers are personal health data. They travel in the POST body (never in a URL, so never in a log or a browser's
history), are assessed in memory and are not stored: the results page carries them in hidden fields so that
"change my answers" needs no storage either. Nothing here logs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from trialfinder import eligibility
from trialfinder.domain.trial import Trial
from trialfinder.domain.values import is_nct_id, nct_id
from trialfinder.eligibility.model import FreeText
from trialfinder.queries.trials import find_trial
from trialfinder.storage.database import Database
from trialfinder.views.i18n import N_, Message
from trialfinder.web.api import BodyTooLarge, UnreadableJson, read_json_body
from trialfinder.web.api_types import answer
from trialfinder.web.errors import json_error, not_found
from trialfinder.web.forms import FormTooLarge, FormUnreadable, read_form
from trialfinder.web.rendering import Renderer, language_of
from trialfinder.web.serialize import assessment_body, questions_body

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)  # the API's dates: YYYY-MM-DD only (not 20261124)
MAX_API_BODY = 2 * 1024 * 1024  # a patient's FHIR Bundle with labs and history fits easily
NO_STORE = {"cache-control": "private, no-store"}
MAX_ANSWER_FIELDS = 2_000

VERDICT_TITLES = {
    eligibility.LIKELY_ELIGIBLE: N_("You are likely to qualify"),
    eligibility.NOT_ELIGIBLE: N_("You probably cannot take part"),
    eligibility.NEEDS_REVIEW: N_("We cannot tell yet"),
}


class Eligibility:
    def __init__(self, *, renderer: Renderer, database: Database, today: Callable[[], date] = date.today):
        self.renderer = renderer
        self.database = database
        self.today = today

    def _trial(self, request: Request) -> Trial | None:
        raw = request.path_params["nct_id"]
        return find_trial(database=self.database, nct_id=nct_id(raw)) if is_nct_id(raw) else None

    # --- pages -----------------------------------------------------------------------------------------------------

    def section(self, trial: Trial) -> dict:
        """What the trial page's "Could I take part?" section shows: how many criteria became checks."""
        if not trial.eligibility.criteria:
            return {"eligibility_check": None}
        tree = eligibility.criteria_for_trial(trial)
        criteria = [criterion for criterion in tree.walk() if not criterion.children]
        typed = [criterion for criterion in criteria if criterion.check is not None and not _free_text(criterion)]
        return {"eligibility_check": {"criteria": len(criteria), "typed": len(typed), "unanalysed": len(tree.unparsed)}}

    async def page(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return not_found(self.renderer, request)
        answers: dict[str, str] = {}
        if request.method == "POST":
            try:
                # A trial with many criteria asks many questions, a lab three fields each.
                answers = await read_form(request, max_fields=MAX_ANSWER_FIELDS)
            except FormTooLarge:
                return self._questions(
                    request,
                    trial,
                    {},
                    notice=Message(N_("Your answers were larger than we accept. Please fill in the questions again.")),
                    status_code=413,
                )
            except FormUnreadable:
                return self._questions(
                    request,
                    trial,
                    {},
                    notice=Message(N_("We could not read your answers. Please fill in the questions again.")),
                    status_code=400,
                )
            if answers.get("action") != "edit":
                return self._assess(request, trial, answers)
        return self._questions(request, trial, answers)

    def _questions(self, request, trial, answers, *, errors=None, notice=None, status_code=200) -> Response:
        language = language_of(request)
        tree = eligibility.criteria_for_trial(trial)
        questions = eligibility.questionnaire(tree, language).questions
        context = {
            "trial": trial,
            "questions": questions,
            "unanalysed": len(tree.unparsed),
            "analysed": len(trial.eligibility.criteria or "") - len(tree.unparsed),
            "answers": answers,
            "errors": errors or {},
            "notice": notice,
        }
        return self.renderer.render(
            request, "eligibility_form.html", context, status_code=status_code, headers=NO_STORE
        )

    def _assess(self, request: Request, trial: Trial, answers: dict[str, str]) -> Response:
        language = language_of(request)
        today = self.today()
        tree = eligibility.criteria_for_trial(trial)
        try:
            facts = eligibility.facts_from_answers(tree, answers, today=today, language=language)
        except eligibility.InvalidAnswers as invalid:
            return self._questions(request, trial, answers, errors=invalid.errors, status_code=400)
        assessment = eligibility.assess(tree, facts, today=today, language=language)
        kept = given_answers(answers)
        context = {
            "trial": trial,
            "assessment": assessment,
            "answers": kept,
            "verdict_title": VERDICT_TITLES[assessment.verdict],
            "inclusion": [r for r in assessment.results if r.section.value == "inclusion"],
            "exclusion": [r for r in assessment.results if r.section.value == "exclusion"],
            "answered": sum(1 for key in kept if not key.endswith((":unit", ":uln"))),
        }
        return self.renderer.render(request, "eligibility_result.html", context, headers=NO_STORE)

    # --- API -------------------------------------------------------------------------------------------------------

    def api_questions(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return json_error(404, "There is no such trial in this catalogue.", "nct_id")
        tree = eligibility.criteria_for_trial(trial)
        return answer(questions_body(eligibility.questionnaire(tree, _api_language(request))), headers=NO_STORE)

    async def api_assess(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return json_error(404, "There is no such trial in this catalogue.", "nct_id")
        try:
            payload = await read_json_body(request, MAX_API_BODY)
        except BodyTooLarge as error:
            return json_error(413, str(error))
        except UnreadableJson as error:  # not JSON, or nested too deeply to walk
            return json_error(400, str(error))
        if not isinstance(payload, dict):
            return json_error(400, "The request body must be a JSON object.")
        if payload.get("resourceType") == "Bundle":  # a bare FHIR Bundle
            payload = {"fhir": payload}
        unknown = sorted(set(payload) - {"answers", "fhir", "today", "language"})
        if unknown:
            return json_error(400, f"Unknown field {unknown[0]!r}: use answers, fhir, today and language.", unknown[0])
        # A field that is given has the type the OpenAPI document says (null and "" are not "not given").
        language = payload.get("language", _api_language(request))
        if language not in ("en", "nl"):
            return json_error(400, "language must be en or nl.", "language")
        today_text = payload.get("today")
        if "today" in payload and not (isinstance(today_text, str) and ISO_DATE.fullmatch(today_text)):
            return json_error(400, "today must be a date, YYYY-MM-DD.", "today")
        try:
            today = date.fromisoformat(today_text) if today_text else self.today()
        except ValueError:
            return json_error(400, "today must be a date, YYYY-MM-DD.", "today")
        answers = payload.get("answers", {})
        if not isinstance(answers, dict) or not all(
            isinstance(value, str | int | float) and not isinstance(value, bool) for value in answers.values()
        ):
            return json_error(400, "answers must be an object of field names and string values.", "answers")
        if "fhir" in payload and not isinstance(payload["fhir"], dict):
            return json_error(400, "fhir must be a FHIR Bundle (a JSON object).", "fhir")
        tree = eligibility.criteria_for_trial(trial)
        facts = eligibility.PatientFacts()
        problems: tuple[str, ...] = ()
        if "fhir" in payload:
            read = eligibility.facts_from_fhir(payload["fhir"])
            facts, problems = read.facts, read.problems
        try:
            from_answers = eligibility.facts_from_answers(
                tree, {key: str(value) for key, value in answers.items()}, today=today, language=language
            )
        except eligibility.InvalidAnswers as invalid:
            field = sorted(invalid.errors)[0]
            return json_error(400, invalid.errors[field], f"answers.{field}")
        assessment = eligibility.assess(tree, facts.merged(from_answers), today=today, language=language)
        return answer(assessment_body(assessment, problems), headers=NO_STORE)


def given_answers(answers: dict[str, str]) -> dict[str, str]:
    """The answers a person actually gave: not "I don't know", and a lab's unit or upper limit only with its value
    (the form always posts a unit choice)."""
    given = {
        key: value
        for key, value in answers.items()
        if key not in ("action", "csrf_token") and value and value.lower() != "unknown"
    }
    for key in list(given):
        if key.startswith("lab:") and key.endswith((":unit", ":uln")):
            if not given.get(key.rsplit(":", 1)[0] + ":value"):
                del given[key]
    return given


def _free_text(criterion) -> bool:
    return isinstance(criterion.check, FreeText)


def _api_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    return asked if asked in ("en", "nl") else language_of(request)
