"""Trial search on both databases: relevance, filters, and the nearest *open* site (never the first listed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialfinder.actions.importing import import_path
from trialfinder.domain.search import InvalidSearch, Search, words
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import GeoPoint
from trialfinder.queries.search import SearchQuery, Sort, search, snippet
from trialfinder.storage.search import _lon_ranges

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_v2"
AMSTERDAM = GeoPoint(52.3676, 4.9041)
ROTTERDAM = GeoPoint(51.9225, 4.47917)
EVERY_STATUS = tuple(RecruitmentStatus)


def _variant(nct: str, *, sites: list[dict], status: str = "RECRUITING", **changes) -> dict:
    record = json.loads((FIXTURES / "NCT06857773.json").read_text())
    protocol = record["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct
    protocol["identificationModule"]["briefTitle"] = changes.get("title", f"Variant {nct}")
    protocol["statusModule"]["overallStatus"] = status
    protocol["contactsLocationsModule"]["locations"] = sites
    eligibility = protocol["eligibilityModule"]
    for key in ("minimumAge", "maximumAge", "sex"):
        if key in changes:
            eligibility[key] = changes[key]
    if "phases" in changes:
        protocol["designModule"]["phases"] = changes["phases"]
    return record


def _site(city: str, point: GeoPoint, status: str | None) -> dict:
    site = {"facility": f"{city} hospital", "city": city, "country": "Netherlands", "geoPoint": {"lat": point.lat, "lon": point.lon}}
    if status:
        site["status"] = status
    return site


@pytest.fixture(scope="session")
def search_seed(tmp_path_factory):
    """The API v2 fixtures and four variants of the reference trial (built once per run and engine, then copied)."""
    folder = tmp_path_factory.mktemp("search-records")
    variants = [
        # Its first listed site is in Amsterdam but has completed; its recruiting site is in Rotterdam.
        _variant("NCT90000001", sites=[_site("Amsterdam", AMSTERDAM, "COMPLETED"), _site("Rotterdam", ROTTERDAM, "RECRUITING")]),
        # Its only site near Amsterdam has completed.
        _variant("NCT90000002", sites=[_site("Amsterdam", AMSTERDAM, "COMPLETED")]),
        # A site without a status of its own takes the trial's.
        _variant("NCT90000003", sites=[_site("Amsterdam", AMSTERDAM, None)], minimumAge="12 Years", maximumAge="17 Years"),
        _variant("NCT90000004", sites=[_site("Amsterdam", AMSTERDAM, None)], status="COMPLETED", sex="FEMALE", phases=["PHASE1", "PHASE2"]),
    ]
    for record in variants:
        (folder / f"{record['protocolSection']['identificationModule']['nctId']}.json").write_text(json.dumps(record))

    def search_catalogue(database) -> None:
        import_path(database=database, path=FIXTURES)
        import_path(database=database, path=folder)

    return search_catalogue


@pytest.fixture
def database_seed(search_seed):
    return search_seed


@pytest.fixture
def catalogue(database):
    return database


def query(*, sort: Sort = Sort.RELEVANCE, page: int = 1, page_size: int = 20, **criteria) -> SearchQuery:
    return SearchQuery(Search(**criteria), sort=sort, page=page, page_size=page_size)


def ids(results) -> list[str]:
    return [hit.nct_id for hit in results.hits]


def test_radius_search_uses_the_nearest_open_site(catalogue):
    results = search(database=catalogue, query=query(point=AMSTERDAM, radius=30, sort=Sort.DISTANCE))
    assert ids(results) == ["NCT90000003", "NCT06857773"]
    assert results.hits[1].nearest_site.city == "Amsterdam"
    assert results.hits[1].nearest_site.distance_km == pytest.approx(1.0, abs=0.6)

    wider = search(database=catalogue, query=query(point=AMSTERDAM, radius=80, unit="km", sort=Sort.DISTANCE))
    assert "NCT90000002" not in ids(wider)  # its only site has completed
    rotterdam_only = next(hit for hit in wider.hits if hit.nct_id == "NCT90000001")
    assert rotterdam_only.nearest_site.city == "Rotterdam"  # not the first listed (completed) Amsterdam site
    assert rotterdam_only.nearest_site.distance_km == pytest.approx(AMSTERDAM.distance_km(ROTTERDAM), rel=1e-6)
    distances = [hit.nearest_site.distance_km for hit in wider.hits]
    assert distances == sorted(distances)


def test_radius_in_miles_and_statuses_of_sites(catalogue):
    assert "NCT90000001" not in ids(search(database=catalogue, query=query(point=AMSTERDAM, radius=30, unit="mi")))
    assert "NCT90000001" in ids(search(database=catalogue, query=query(point=AMSTERDAM, radius=40, unit="mi")))
    completed = query(statuses=(RecruitmentStatus.COMPLETED,), point=AMSTERDAM, radius=10, unit="km")
    assert ids(search(database=catalogue, query=completed)) == ["NCT90000004"]


def test_text_is_ranked_and_words_are_stemmed(catalogue):
    results = search(database=catalogue, query=query(text="Liver metastases", statuses=EVERY_STATUS))
    assert results.hits[0].nct_id == "NCT06857773"
    assert {"NCT90000001", "NCT90000002"} <= set(ids(results))  # the variants share its text
    pancreatic = search(database=catalogue, query=query(text="pancreatic cancers"))
    assert "NCT06898385" in ids(pancreatic)
    assert "NCT06857773" not in ids(pancreatic)
    assert results.matched_words == ("liver", "metastases")


def test_condition_and_intervention_look_in_their_own_fields(catalogue):
    by_condition = search(database=catalogue, query=query(condition="pancreatic"))
    assert set(ids(by_condition)) >= {"NCT06898385", "NCT05052671"}
    assert "NCT06857773" not in ids(by_condition)
    fludarabine = search(database=catalogue, query=query(intervention="Fludara"))  # an other-name
    assert "NCT06898385" in ids(fludarabine)
    assert "NCT06857773" not in ids(fludarabine)


def test_age_sex_phase_and_status_filters(catalogue):
    teen = search(database=catalogue, query=query(age_years=15, statuses=EVERY_STATUS))
    assert "NCT90000003" in ids(teen) and "NCT06857773" not in ids(teen)
    adult = search(database=catalogue, query=query(age_years=18, statuses=EVERY_STATUS))
    assert "NCT90000003" not in ids(adult) and "NCT06857773" in ids(adult)
    assert "NCT90000003" in ids(search(database=catalogue, query=query(age_years=17.9)))  # "17 Years" inclusive
    men = search(database=catalogue, query=query(sex=Sex.MALE, statuses=EVERY_STATUS))
    assert "NCT90000004" not in ids(men) and "NCT06857773" in ids(men)
    women = search(database=catalogue, query=query(sex=Sex.FEMALE, statuses=EVERY_STATUS))
    assert "NCT90000004" in ids(women)
    phase2 = search(database=catalogue, query=query(phases=(Phase.PHASE2,), statuses=EVERY_STATUS))
    assert "NCT90000004" in ids(phase2) and "NCT06857773" not in ids(phase2)
    observational = search(database=catalogue, query=query(study_types=(StudyType.OBSERVATIONAL,)))
    assert ids(observational) == ["NCT05052671"]
    default = search(database=catalogue, query=query())
    assert "NCT90000004" not in ids(default)  # completed: not shown unless asked for


def test_pagination_and_totals(catalogue):
    everything = search(database=catalogue, query=query(statuses=EVERY_STATUS, page_size=3))
    assert everything.total == 8 and everything.pages == 3
    seen = []
    for page in range(1, 4):
        seen += ids(search(database=catalogue, query=query(statuses=EVERY_STATUS, page_size=3, page=page)))
    assert len(seen) == len(set(seen)) == 8
    by_update = search(database=catalogue, query=query(statuses=EVERY_STATUS, sort=Sort.LAST_UPDATE, page_size=8))
    keys = [hit.last_update for hit in by_update.hits]
    assert keys == sorted(keys, reverse=True)


def test_without_words_open_trials_come_first_and_the_most_recently_updated_first(catalogue):
    # The home page (no words, the default statuses): current recruiting trials, the newest first.
    home = search(database=catalogue, query=query())
    dates = [hit.last_update for hit in home.hits]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2025-09-24"
    assert {hit.overall_status for hit in home.hits} <= {RecruitmentStatus.RECRUITING, RecruitmentStatus.NOT_YET_RECRUITING}
    # Other statuses asked for too: the completed trial (updated 2025-09-16) after every open one, even older ones.
    everything = search(database=catalogue, query=query(statuses=EVERY_STATUS))
    assert ids(everything)[-1] == "NCT90000004"
    assert ids(everything).index("NCT06898385") < ids(everything).index("NCT90000004")  # open, updated 2025-05-30
    # "Most recently updated" is that alone, whatever the status.
    by_update = search(database=catalogue, query=query(statuses=EVERY_STATUS, sort=Sort.LAST_UPDATE))
    assert ids(by_update).index("NCT90000004") < ids(by_update).index("NCT06898385")


def test_query_syntax_is_never_interpreted(catalogue):
    for text in ['" OR 1=1 --', "NEAR(liver", "liver*", "{title}: x", "'; DROP TABLE trials; --", "(((", "AND OR NOT"]:
        search(database=catalogue, query=query(text=text, statuses=EVERY_STATUS))
    assert words('liver" OR "cancer*') == ["liver", "OR", "cancer"]
    assert search(database=catalogue, query=query(statuses=EVERY_STATUS)).total == 8


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: query(text="x" * 201), "q"),
        (lambda: query(location="x" * 201), "location"),
        (lambda: query(age_years=-3), "age"),
        (lambda: query(age_years=float("inf")), "age"),
        (lambda: query(point=AMSTERDAM, radius=1e9), "radius"),
        (lambda: query(point=AMSTERDAM, radius=0), "radius"),
        (lambda: query(point=AMSTERDAM, radius=1243, unit="mi"), "radius"),
        (lambda: query(point=AMSTERDAM, radius=5, unit="parsec"), "unit"),
        (lambda: query(location="Amsterdam"), "location"),  # typed, not yet found
        (lambda: query(page=0), "page"),
        (lambda: query(sort=Sort.DISTANCE), "sort"),
        (lambda: query(statuses=()), "status"),
        (lambda: query(sex=Sex.ALL), "sex"),
    ],
)
def test_out_of_bounds_queries_name_their_field(make, field):
    with pytest.raises(InvalidSearch) as raised:
        make()
    assert raised.value.field == field


def test_longitude_ranges_cross_the_antimeridian():
    assert _lon_ranges(170, 190) == [(170, 180.0), (-180.0, -170)]
    assert _lon_ranges(-185, -175) == [(-180.0, -175), (175, 180.0)]
    assert _lon_ranges(-10, 10) == [(-10, 10)]


def test_snippet_centres_on_the_first_match():
    summary = "Intro words. " * 40 + "The **liver** pump is studied here. " + "Closing words. " * 40
    text = snippet(summary, ("liver",))
    assert "liver pump" in text and text.startswith("… ") and text.endswith(" …")
    assert "*" not in text
    assert snippet("Short summary.", ("x",)) == "Short summary."
    assert snippet(None, ()) is None
