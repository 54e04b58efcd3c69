"""The JSON the API answers with: search hits, whole trials, places and eligibility, built as the types of
`api_types.py` (a shape of our own, not the storage's). Codes stay the registry's (RECRUITING, PHASE3), dates ISO 8601
(partial dates as registered: "2024", "2024-11"), distances in kilometres."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from trialfinder.domain import trial as domain
from trialfinder.domain.values import Age, PartialDate
from trialfinder.eligibility import Assessment, Questionnaire
from trialfinder.geo.gazetteer import Place
from trialfinder.queries.search import SearchResults, SiteHit, TrialHit
from trialfinder.views.formatting import DAYS_PER_YEAR
from trialfinder.web import api_types as api
from trialfinder.web.params import Location
from trialfinder.web.sites import ListedSite


def _fields(value: Any) -> dict[str, Any]:
    """A domain dataclass's fields by name: the API type of the same fields takes them as they are."""
    return {item.name: getattr(value, item.name) for item in dataclasses.fields(value)}


def _years(days: float | None) -> float | None:
    return None if days is None else round(days / DAYS_PER_YEAR, 4)


def site_hit_body(site: SiteHit | None) -> api.SiteHit | None:
    if site is None:
        return None
    return api.SiteHit(
        facility=site.facility,
        city=site.city,
        country=site.country,
        status=site.status,
        distance_km=round(site.distance_km, 2),
        approximate=site.approximate,
    )


def hit_body(hit: TrialHit) -> api.Hit:
    return api.Hit(
        nct_id=hit.nct_id,
        title=hit.brief_title,
        status=hit.overall_status,
        phases=list(hit.phases),
        study_type=hit.study_type,
        sex=hit.sex,
        min_age_years=_years(hit.min_age_days),
        max_age_years=_years(hit.max_age_days),
        conditions=list(hit.conditions),
        last_update=hit.last_update,
        snippet=hit.snippet,
        nearest_site=site_hit_body(hit.nearest_site),
        url=f"/trials/{hit.nct_id}",
        api_url=f"/api/trials/{hit.nct_id}",
    )


def near_body(location: Location | None, radius_km: float | None = None) -> api.Near | None:
    """Where distances were measured from; with the radius of a search (a trial's page has none)."""
    if location is None:
        return None
    return api.Near(
        lat=location.point.lat,
        lon=location.point.lon,
        source=location.source,
        place=place_body(location.place) if location.place else None,
        radius_km=msgspec.UNSET if radius_km is None else round(radius_km, 3),
    )


def results_body(results: SearchResults, location: Location | None, radius_km: float) -> api.SearchResults:
    query = results.query
    return api.SearchResults(
        total=results.total,
        page=query.page,
        pages=results.pages,
        page_size=query.page_size,
        statuses=[status.value for status in query.search.statuses],
        near=near_body(location, radius_km),
        matched_words=list(results.matched_words),
        understood=api.Understood(
            expand=query.search.expand,
            concepts=[
                api.UnderstoodConcept(
                    typed=line.typed,
                    concept=line.concept,
                    name=line.name,
                    also=list(line.also),
                    corrected_from=line.corrected_from,
                )
                for line in results.understood
            ],
            identifiers=list(results.identifiers),
        ),
        hits=[hit_body(hit) for hit in results.hits],
    )


# A trial lists up to tens of thousands of sites: the API gives them a page at a time (`sites_page`), enough for nearly
# every trial in one (the largest trials commonly list a few hundred).
SITES_PER_API_PAGE = 500
MAX_SITES_PAGE = 1_000


@dataclasses.dataclass(frozen=True, slots=True)
class SitesWindow:
    """Which of a trial's sites an answer holds: one page of `page_size`, of `total`."""

    total: int
    page: int
    pages: int
    page_size: int


def _age(age: Age | None) -> api.Age | None:
    return None if age is None else api.Age(value=age.value, unit=age.unit, years=round(age.in_years(), 4))


def _eligibility(eligibility: domain.Eligibility) -> api.Eligibility:
    ages = api.AgeRange(minimum=_age(eligibility.ages.minimum), maximum=_age(eligibility.ages.maximum))
    return api.Eligibility(**{**_fields(eligibility), "ages": ages})


def _site(item: ListedSite) -> api.Site:
    return api.Site(
        **_fields(item.site),
        effective_status=item.status,
        open=item.is_open,
        distance_km=None if item.distance_km is None else round(item.distance_km, 2),
    )


def trial_body(
    trial: domain.Trial, sites: list[ListedSite], location: Location | None, window: SitesWindow | None = None
) -> api.Trial:
    """Every field of the trial (partial dates as ISO text), with `sites` in the page's order (open first, then
    nearest), each with its effective status and distance."""
    record = _fields(trial)
    dates = {name: value.isoformat() for name, value in record.items() if isinstance(value, PartialDate)}
    window = window or SitesWindow(total=len(sites), page=1, pages=1, page_size=len(sites))
    return api.Trial(
        # The domain's fields, with its eligibility and sites worded as the API words them.
        **{**record, **dates, "eligibility": _eligibility(trial.eligibility), "sites": [_site(item) for item in sites]},
        registry_url=trial.registry_url,
        eu_ct_numbers=list(trial.eu_ct_numbers),
        site_count=window.total,
        sites_page=window.page,
        sites_pages=window.pages,
        near=near_body(location),
    )


def place_body(place: Place) -> api.Place:
    return api.Place(
        label=place.label,
        name=place.name,
        kind=place.kind,
        postal_code=place.postal_code,
        admin1=place.admin1,
        country_code=place.country_code,
        country=place.country_name,
        lat=place.point.lat,
        lon=place.point.lon,
        population=place.population,
    )


def questions_body(questionnaire: Questionnaire) -> api.EligibilityQuestions:
    """The engine's own JSON for its questions, checked against the API's type (which must name every field)."""
    return msgspec.convert(questionnaire.to_json(), api.EligibilityQuestions)


def assessment_body(assessment: Assessment, fhir_problems: tuple[str, ...]) -> api.EligibilityAssessment:
    """The engine's own JSON for an assessment, with what was skipped of a FHIR Bundle, checked against the API's
    type (which must name every field)."""
    return msgspec.convert({**assessment.to_json(), "fhir_problems": list(fhir_problems)}, api.EligibilityAssessment)
