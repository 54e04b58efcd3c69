"""A trial's sites as the trial page lists them: open ones first, then nearest first when a location is known.

"Open" means what it means in search (see queries.search): the site's own status, or the trial's when the site
has none, is one of the statuses asked for. Distances are great-circle, from the coordinates the catalogue holds
(the city centre, as ClinicalTrials.gov gives it, or the gazetteer's when marked approximate).
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.domain.trial import RecruitmentStatus, Site, Trial
from trialfinder.domain.values import GeoPoint


@dataclass(frozen=True, slots=True)
class ListedSite:
    site: Site
    status: RecruitmentStatus | None  # its own, else the trial's
    is_open: bool
    distance_km: float | None


def listed_sites(trial: Trial, *, near: GeoPoint | None, statuses: tuple[RecruitmentStatus, ...]) -> list[ListedSite]:
    listed = []
    for site in trial.sites:
        status = site.status or trial.overall_status
        distance = near.distance_km(site.coordinates) if near is not None and site.coordinates else None
        listed.append(ListedSite(site, status, status in statuses, distance))
    # Stable sort: the registry's order stays among equals. Sites without coordinates go after those with.
    listed.sort(key=lambda item: (not item.is_open, item.distance_km is None, item.distance_km or 0.0))
    return listed
