"""The site's pages: search (`/`, `/trials`), a trial (`/trials/{nct_id}`), and the FAQ (`/faq`).

Each handler parses, asks, renders: `params.parse_search`, then `queries.search.search` or the trial store, then
a template. Bad input is never an error page: the form comes back with a message beside each field.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from trialfinder.domain.trial import Phase, RecruitmentStatus, StudyType
from trialfinder.domain.values import is_nct_id, nct_id
from trialfinder.queries.search import MAX_PAGE, MAX_TEXT, search
from trialfinder.queries.trials import find_trial
from trialfinder.storage.database import Database
from trialfinder.web import vocabulary
from trialfinder.web.arms import arms_with_interventions
from trialfinder.web.criteria import criteria_sections
from trialfinder.web.errors import not_found
from trialfinder.web.i18n import N_, Message
from trialfinder.web.links import search_url, trial_url
from trialfinder.web.pagination import pagination
from trialfinder.web.params import DEFAULT_RADIUS, SearchForm, parse_search
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rendering import Renderer, language_of
from trialfinder.web.sites import listed_sites
from trialfinder.web.suggestions import suggestions

SITES_SHOWN = 50  # on a trial page, before "show all"

# Where the error summary's links lead: the input (or the first input of the group) of each parameter.
FIELD_IDS = {
    "q": "f-q",
    "condition": "f-condition",
    "intervention": "f-intervention",
    "location": "f-location",
    "lat": "f-location",
    "lon": "f-location",
    "radius": "f-radius",
    "unit": "f-unit",
    "status": "f-status-RECRUITING",
    "age": "f-age",
    "sex": "f-sex-any",
    "healthy": "f-healthy",
    "phase": "f-phase-NA",
    "type": "f-type-INTERVENTIONAL",
    "sort": "f-sort",
    "page": "f-sort",
}


class Pages:
    def __init__(self, *, renderer: Renderer, database: Database, places: PlaceFinder):
        self.renderer = renderer
        self.database = database
        self.places = places

    def parse(self, request: Request) -> SearchForm:
        return parse_search(request.query_params.multi_items(), find_place=self.places.for_language(language_of(request)))

    def search(self, request: Request) -> Response:
        form = self.parse(request)
        results = search(database=self.database, query=form.query) if form.query is not None else None
        pairs = form.pairs()
        fmt = self.renderer.formatter(request)
        chosen_extra = tuple(status for status in form.statuses if status not in vocabulary.FORM_STATUSES)
        context = {
            "current": "search",
            "form": form,
            "results": results,
            "pairs": pairs,
            # A trial's link carries the page too, so that "back to your search results" returns to it.
            "trial_pairs": [*pairs, ("page", form.values["page"])] if form.values["page"] else pairs,
            "near_label": fmt.location(form.location),
            "suggestions": suggestions(form) if results is not None and results.total == 0 else [],
            "pagination": pagination(pairs, results.query.page, results.pages, MAX_PAGE) if results else None,
            "status_options": (*vocabulary.FORM_STATUSES, *chosen_extra),
            "phase_options": tuple(Phase),
            "type_options": tuple(StudyType),
            "sex_options": (
                ("", fmt.gettext(N_("Any"))),
                ("female", fmt.label("sex", "FEMALE")),
                ("male", fmt.label("sex", "MALE")),
            ),
            "sort_options": (
                ("relevance", fmt.gettext(N_("Best match"))),
                ("distance", fmt.gettext(N_("Distance (needs a location)"))),
                ("last_update", fmt.gettext(N_("Most recently updated"))),
            ),
            "field_ids": FIELD_IDS,
            "max_text": MAX_TEXT,
            "default_radius": DEFAULT_RADIUS,
        }
        return self.renderer.render(request, "search.html", context)

    def trial(self, request: Request) -> Response:
        raw = request.path_params["nct_id"]
        if not is_nct_id(raw):
            return not_found(
                self.renderer,
                request,
                Message(N_("This is not a ClinicalTrials.gov number (NCT followed by eight digits).")),
            )
        trial = find_trial(database=self.database, nct_id=nct_id(raw))
        if trial is None:
            return not_found(
                self.renderer,
                request,
                Message(N_("There is no trial %(nct_id)s in this catalogue."), {"nct_id": nct_id(raw)}),
            )
        # The search's parameters came along: its location gives distances, its statuses say which sites are open.
        form = self.parse(request)
        pairs = form.pairs()
        sites = listed_sites(trial, near=form.location.point if form.location else None, statuses=form.statuses)
        show_all = request.query_params.get("sites") == "all"
        contact_site = next((item for item in sites if item.is_open and item.site.contacts), None)
        context = {
            "trial": trial,
            "form": form,
            "pairs": pairs,
            "near_label": self.renderer.formatter(request).location(form.location),
            "back_href": search_url(pairs, page=form.values["page"] or None) if pairs else None,
            "criteria": criteria_sections(trial.eligibility.criteria, heading_level=4),
            "arms": arms_with_interventions(trial),
            "sites": sites if show_all else sites[:SITES_SHOWN],
            "more_sites_href": None
            if show_all or len(sites) <= SITES_SHOWN
            else trial_url(trial.nct_id, [*pairs, ("sites", "all")]) + "#sites",
            "contact_site": contact_site,
        }
        return self.renderer.render(request, "trial.html", context)

    def faq(self, request: Request) -> Response:
        statuses = [status for status in RecruitmentStatus]
        return self.renderer.render(request, "faq.html", {"current": "faq", "statuses": statuses})
