"""The site's pages: search (`/`, `/trials`), a trial (`/trials/{nct_id}`), and the FAQ (`/faq`).

Each handler parses, asks, renders: `params.parse_search`, then `queries.search.search` or the trial store, then
a template. Bad input is never an error page: the form comes back with a message beside each field.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from trialfinder.actions.overviews import overview_for_page
from trialfinder.domain.search import DEFAULT_RADIUS, MAX_TEXT
from trialfinder.domain.trial import Phase, RecruitmentStatus, StudyType
from trialfinder.domain.values import is_nct_id, nct_id
from trialfinder.queries.search import MAX_PAGE, search
from trialfinder.queries.trials import find_trial
from trialfinder.storage.database import Database
from trialfinder.views import vocabulary
from trialfinder.views.i18n import N_, Message
from trialfinder.views.links import search_url, trial_url
from trialfinder.web.arms import arms_with_interventions
from trialfinder.web.contact import Contact
from trialfinder.web.criteria import criteria_sections
from trialfinder.web.eligibility import Eligibility
from trialfinder.web.errors import not_found
from trialfinder.web.overview import source_labels
from trialfinder.web.pagination import page_links, pagination
from trialfinder.web.params import SearchForm, parse_search
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rendering import Renderer, language_of
from trialfinder.web.sites import listed_sites
from trialfinder.web.suggestions import suggestions

# Sites on a trial page at a time; the others on pages of their own (`sites_page`). A trial may list up to 50,000
# (registries/fields.py), which as one page took seconds to render and megabytes to send.
SITES_PER_PAGE = 50

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
    def __init__(
        self,
        *,
        renderer: Renderer,
        database: Database,
        places: PlaceFinder,
        contact: Contact,
        eligibility: Eligibility,
        subscriptions=None,
        notes=None,
    ):
        self.renderer = renderer
        self.database = database
        self.places = places
        self.contact = contact
        self.eligibility = eligibility
        self.subscriptions = subscriptions  # web.subscriptions.Subscriptions: the notification sign-up box
        self.notes = notes  # web.notes.Notes: the private notes beside the text

    def parse(self, request: Request) -> SearchForm:
        language = language_of(request)
        return parse_search(
            request.query_params.multi_items(), find_place=self.places.for_language(language), language=language
        )

    def search(self, request: Request) -> Response:
        form = self.parse(request)
        results = search(database=self.database, query=form.query) if form.query is not None else None
        if results is not None and results.identifiers_only and results.total == 1 and results.hits:
            # A trial's number typed in the box opens that trial, as a registry's search does.
            return RedirectResponse(trial_url(results.hits[0].nct_id), status_code=303)
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
        if self.subscriptions is None:
            return self.renderer.render(request, "search.html", context)
        context.update(self.subscriptions.search_box(request, form))
        response = self.renderer.render(request, "search.html", context)
        # The box holds this visitor's form token when shown: set its cookie, and keep the page out of shared caches.
        return self.subscriptions.with_csrf_cookie(request, response) if context["subscribe"] else response

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
        pages = max(1, -(-len(sites) // SITES_PER_PAGE))
        sites_page = _page_number(request.query_params.get("sites_page"), pages)
        first = (sites_page - 1) * SITES_PER_PAGE
        contact_site = next((item for item in sites if item.is_open and item.site.contacts), None)
        nearest_open = (
            sites[0].site if form.location and sites and sites[0].is_open and sites[0].distance_km is not None else None
        )
        overview = overview_for_page(
            database=self.database, nct_id=trial.nct_id, language=language_of(request), near=nearest_open
        )
        context = {
            "trial": trial,
            "form": form,
            "pairs": pairs,
            "near_label": self.renderer.formatter(request).location(form.location),
            "back_href": search_url(pairs, page=form.values["page"] or None) if pairs else None,
            "criteria": criteria_sections(trial.eligibility.criteria, heading_level=4),
            "arms": arms_with_interventions(trial),
            "sites": sites[first : first + SITES_PER_PAGE],
            "sites_first": first + 1,
            "sites_total": len(sites),
            "sites_pager": page_links(
                sites_page,
                pages,
                lambda number: trial_url(trial.nct_id, [*pairs, *([("sites_page", str(number))] if number > 1 else [])])
                + "#sites",
            ),
            "contact_site": contact_site,
            "overview": overview,
            **self.eligibility.section(trial),
            "source_labels": source_labels,
            **(self.subscriptions.trial_box(request, trial, form) if self.subscriptions else {"subscribe": None}),
            **(self.notes.panel(request, trial) if self.notes else {"notes": None}),
            **self.contact.form_for(
                request,
                trial,
                home=form.location.point if form.location else None,
                home_label=form.values.get("location") or None,
            ),
        }
        return self.contact.with_csrf_cookie(request, self.renderer.render(request, "trial.html", context))

    def faq(self, request: Request) -> Response:
        statuses = [status for status in RecruitmentStatus]
        context = {
            "current": "faq",
            "statuses": statuses,
            "retention_days": self.contact.settings.referral_retention_days,
            "notes_retention_days": self.contact.settings.notes_retention_days,
        }
        return self.renderer.render(request, "faq.html", context)


def _page_number(value: str | None, pages: int) -> int:
    """A page asked for in a link: a number from 1 to `pages`; anything else is the nearest page, or the first."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return min(max(number, 1), pages)
