"""The JSON the API answers with: search hits, whole trials and places, in a shape of our own (described in
`openapi.py`), not the storage's. Codes stay the registry's (RECRUITING, PHASE3), dates ISO 8601 (partial dates
as registered: "2024", "2024-11"), distances in kilometres."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from trialfinder.domain.trial import Trial
from trialfinder.domain.values import Age, AgeRange, GeoPoint, PartialDate
from trialfinder.geo.gazetteer import Place
from trialfinder.queries.search import SearchResults, SiteHit, TrialHit
from trialfinder.views.formatting import DAYS_PER_YEAR
from trialfinder.web.params import Location
from trialfinder.web.sites import ListedSite


def plain(value: Any) -> Any:
    """Domain values as JSON values: dataclasses as objects, enums as their codes, dates as ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PartialDate):
        return value.isoformat()
    if isinstance(value, GeoPoint):
        return {"lat": value.lat, "lon": value.lon}
    if isinstance(value, Age):
        return {"value": value.value, "unit": value.unit.value, "years": round(value.in_years(), 4)}
    if isinstance(value, AgeRange):
        return {"minimum": plain(value.minimum), "maximum": plain(value.maximum)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: plain(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _years(days: float | None) -> float | None:
    return None if days is None else round(days / DAYS_PER_YEAR, 4)


def site_hit_json(site: SiteHit | None) -> dict[str, Any] | None:
    if site is None:
        return None
    return {
        "facility": site.facility,
        "city": site.city,
        "country": site.country,
        "status": site.status.value if site.status else None,
        "distance_km": round(site.distance_km, 2),
        "approximate": site.approximate,
    }


def hit_json(hit: TrialHit) -> dict[str, Any]:
    return {
        "nct_id": hit.nct_id,
        "title": hit.brief_title,
        "status": hit.overall_status.value,
        "phases": [phase.value for phase in hit.phases],
        "study_type": hit.study_type.value if hit.study_type else None,
        "sex": hit.sex.value,
        "min_age_years": _years(hit.min_age_days),
        "max_age_years": _years(hit.max_age_days),
        "conditions": list(hit.conditions),
        "last_update": hit.last_update,
        "snippet": hit.snippet,
        "nearest_site": site_hit_json(hit.nearest_site),
        "url": f"/trials/{hit.nct_id}",
        "api_url": f"/api/trials/{hit.nct_id}",
    }


def location_json(location: Location | None, radius_km: float | None = None) -> dict[str, Any] | None:
    """Where distances were measured from; with the radius of a search (a trial's page has none)."""
    if location is None:
        return None
    body = {
        "lat": location.point.lat,
        "lon": location.point.lon,
        "source": location.source,
        "place": place_json(location.place) if location.place else None,
    }
    if radius_km is not None:
        body["radius_km"] = round(radius_km, 3)
    return body


def results_json(results: SearchResults, location: Location | None, radius_km: float) -> dict[str, Any]:
    query = results.query
    return {
        "total": results.total,
        "page": query.page,
        "pages": results.pages,
        "page_size": query.page_size,
        "statuses": [status.value for status in query.statuses],
        "near": location_json(location, radius_km),
        "matched_words": list(results.matched_words),
        "hits": [hit_json(hit) for hit in results.hits],
    }


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


def trial_json(
    trial: Trial, sites: list[ListedSite], location: Location | None, window: SitesWindow | None = None
) -> dict[str, Any]:
    body = plain(trial)
    body["registry_url"] = trial.registry_url
    body["eu_ct_numbers"] = list(trial.eu_ct_numbers)
    # Sites in the page's order (open first, then nearest), each with its effective status and distance.
    body["sites"] = [
        {
            **plain(item.site),
            "effective_status": item.status.value if item.status else None,
            "open": item.is_open,
            "distance_km": None if item.distance_km is None else round(item.distance_km, 2),
        }
        for item in sites
    ]
    window = window or SitesWindow(total=len(sites), page=1, pages=1, page_size=len(sites))
    body["site_count"] = window.total
    body["sites_page"] = window.page
    body["sites_pages"] = window.pages
    body["near"] = location_json(location)
    return body


def place_json(place: Place) -> dict[str, Any]:
    return {
        "label": place.label,
        "name": place.name,
        "kind": place.kind,
        "postal_code": place.postal_code,
        "admin1": place.admin1,
        "country_code": place.country_code,
        "country": place.country_name,
        "lat": place.point.lat,
        "lon": place.point.lon,
        "population": place.population,
    }
