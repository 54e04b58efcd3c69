"""One table of searches, run through both implementations of the search's rules, on both databases.

The search page asks the database (storage/search.py, through queries/search.py); the alert run asks the Python
matcher (domain/subscriptions.py, with the words matched by storage/changes.py), so that an alert never names a
trial the saved search would not show. Each row of SPEC is a search and the trials it finds; every row is run
through both, on SQLite and on PostgreSQL, and each must find exactly those trials (and, with a place, measure the
same distance to the nearest open site).

The catalogue: the real records of tests/fixtures (ClinicalTrials.gov API v2 and legacy XML; the XML sites have
no coordinates) and six records derived from the reference trial NCT06857773 (recruiting, phase 3,
interventional, all sexes, 18 years and over, colorectal liver metastases, floxuridine; one recruiting site in
Amsterdam), imported by the real importer:

  NCT03745326  recruiting, phases 1 and 2, 18-72, pancreatic and colorectal cancers, fludarabine; Bethesda
  NCT05052671  recruiting, observational, no phase, 18-99, pancreas cancer; Oklahoma City (recruiting) and
               Tulsa (not yet recruiting)
  NCT06857773  the reference trial; Amsterdam
  NCT06898385  recruiting, phase 1, 18-75, pancreatic cancer, fludarabine (also called Fludara); Guangzhou
  NCT00000102  completed, phases 1 and 2, 14-35
  NCT00001159  recruiting, observational, 6 months and over
  NCT00001184  recruiting, observational, up to 75, takes healthy volunteers
  NCT00005614  withdrawn, phase 2, women, 65 and over
  NCT00006099  terminated, phase 1, women, 18 and over
  NCT00008216  terminated, observational, 18-65
  NCT00463359  status unknown, phase "not applicable", 49-89, takes healthy volunteers
  NCT00495183  status unknown, phase 4, 18-60
  NCT91000001  a completed site in Amsterdam, listed first, and a recruiting one in Rotterdam (57 km away)
  NCT91000002  its only site, in Amsterdam, has completed
  NCT91000003  12 to 17 years; its Amsterdam site has no status of its own (it takes the trial's)
  NCT91000004  completed, women only, phases 1 and 2; its Amsterdam site takes the trial's status
  NCT91000005  not yet recruiting, men only, takes healthy volunteers, a glioblastoma trial; a site in Utrecht
               (34 km from Amsterdam), not yet recruiting
  NCT91000006  its one site in Apia, Samoa: across the antimeridian from Suva, Fiji (1,151 km)
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import FIXTURES

from trialfinder.actions.importing import import_path
from trialfinder.domain.search import Search
from trialfinder.domain.subscriptions import Matcher, Watch
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import GeoPoint
from trialfinder.queries.search import MAX_PAGE_SIZE, SearchQuery, search
from trialfinder.storage.changes import ChangeLog, candidates, text_matches
from trialfinder.storage.search import TextFilter

AMSTERDAM = GeoPoint(52.3676, 4.9041)
TULSA = GeoPoint(36.15398, -95.99277)
SUVA = GeoPoint(-18.1416, 178.4415)
EVERY = tuple(RecruitmentStatus)
DEFAULT = Search().statuses

OPEN_NOW = {  # recruiting or not yet: what the default statuses find
    "NCT03745326", "NCT05052671", "NCT06857773", "NCT06898385", "NCT00001159", "NCT00001184",
    "NCT91000001", "NCT91000002", "NCT91000003", "NCT91000005", "NCT91000006",
}  # fmt: skip
CLOSED = {
    "NCT00000102", "NCT00005614", "NCT00006099", "NCT00008216", "NCT00463359", "NCT00495183", "NCT91000004",
}  # fmt: skip
REFERENCE_FAMILY = {"NCT06857773", "NCT91000001", "NCT91000002", "NCT91000003", "NCT91000005", "NCT91000006"}

SPEC: list[tuple[str, Search, set[str]]] = [
    # Statuses
    ("the first page: recruiting or about to", Search(), OPEN_NOW),
    ("every status", Search(statuses=EVERY), OPEN_NOW | CLOSED),
    ("completed only", Search(statuses=(RecruitmentStatus.COMPLETED,)), {"NCT00000102", "NCT91000004"}),
    (
        "stopped or unknown",
        Search(statuses=(RecruitmentStatus.WITHDRAWN, RecruitmentStatus.TERMINATED, RecruitmentStatus.UNKNOWN)),
        {"NCT00005614", "NCT00006099", "NCT00008216", "NCT00463359", "NCT00495183"},
    ),
    ("not yet recruiting only", Search(statuses=(RecruitmentStatus.NOT_YET_RECRUITING,)), {"NCT91000005"}),
    # Phases and study types
    (
        "phase 1, whatever the status",
        Search(statuses=EVERY, phases=(Phase.PHASE1,)),
        {"NCT03745326", "NCT06898385", "NCT00000102", "NCT00006099", "NCT91000004"},
    ),
    (
        "phase 2 or phase 4",
        Search(statuses=EVERY, phases=(Phase.PHASE2, Phase.PHASE4)),
        {"NCT03745326", "NCT00000102", "NCT00005614", "NCT91000004", "NCT00495183"},
    ),
    ("phase not applicable", Search(statuses=EVERY, phases=(Phase.NA,)), {"NCT00463359"}),
    (
        "observational studies open now",
        Search(study_types=(StudyType.OBSERVATIONAL,)),
        {"NCT05052671", "NCT00001159", "NCT00001184"},
    ),
    (
        "observational studies, every status",
        Search(statuses=EVERY, study_types=(StudyType.OBSERVATIONAL,)),
        {"NCT05052671", "NCT00001159", "NCT00001184", "NCT00008216"},
    ),
    ("expanded access: none", Search(statuses=EVERY, study_types=(StudyType.EXPANDED_ACCESS,)), set()),
    # Sex
    ("a woman: every trial open now but the men's", Search(sex=Sex.FEMALE), OPEN_NOW - {"NCT91000005"}),
    ("a man: every trial open now", Search(sex=Sex.MALE), OPEN_NOW),
    (
        "a woman, closed trials",
        Search(sex=Sex.FEMALE, statuses=tuple(RecruitmentStatus[code] for code in ("COMPLETED", "WITHDRAWN"))),
        {"NCT00000102", "NCT00005614", "NCT91000004"},
    ),
    ("a man, closed trials", Search(sex=Sex.MALE, statuses=(RecruitmentStatus.WITHDRAWN,)), set()),
    # Age: a limit in whole years admits the whole year
    (
        "aged 15, every status",
        Search(statuses=EVERY, age_years=15),
        {"NCT00000102", "NCT00001159", "NCT00001184", "NCT91000003"},
    ),
    (
        "aged 17.9: '17 Years' still takes them",
        Search(statuses=EVERY, age_years=17.9),
        {"NCT00000102", "NCT00001159", "NCT00001184", "NCT91000003"},
    ),
    ("aged 18, open now: not the teenagers' trial", Search(age_years=18), OPEN_NOW - {"NCT91000003"}),
    ("five months old", Search(statuses=EVERY, age_years=0.4), {"NCT00001184"}),
    ("seven months old", Search(statuses=EVERY, age_years=0.6), {"NCT00001159", "NCT00001184"}),
    (
        "aged 72 and a half: '72 Years' still takes them",
        Search(age_years=72.5),
        OPEN_NOW - {"NCT91000003"},
    ),
    (
        "aged 76 and a half, open now",
        Search(age_years=76.5),
        OPEN_NOW - {"NCT91000003", "NCT06898385", "NCT00001184", "NCT03745326"},
    ),
    (
        "aged 125, every status: trials without an upper limit",
        Search(statuses=EVERY, age_years=125),
        REFERENCE_FAMILY - {"NCT91000003"} | {"NCT91000004", "NCT00001159", "NCT00005614", "NCT00006099"},
    ),
    # Healthy volunteers
    (
        "healthy volunteers, every status",
        Search(statuses=EVERY, healthy_volunteers=True),
        {"NCT00001184", "NCT00463359", "NCT91000005"},
    ),
    ("healthy volunteers, open now", Search(healthy_volunteers=True), {"NCT00001184", "NCT91000005"}),
    # Words
    ("a drug anywhere", Search(text="floxuridine"), REFERENCE_FAMILY),
    ("a drug anywhere, every status", Search(text="FLOXURIDINE", statuses=EVERY), REFERENCE_FAMILY | {"NCT91000004"}),
    ("stemmed: glioblastomas finds glioblastoma", Search(text="glioblastomas"), {"NCT91000005"}),
    ("a condition", Search(condition="pancreatic"), {"NCT03745326", "NCT05052671", "NCT06898385"}),
    ("a condition is not a treatment", Search(condition="fludarabine"), set()),
    ("a treatment's other name", Search(intervention="Fludara"), {"NCT06898385"}),
    ("a treatment", Search(intervention="fludarabine"), {"NCT03745326", "NCT06898385"}),
    (
        "a condition and a treatment",
        Search(condition="colorectal", intervention="floxuridine"),
        REFERENCE_FAMILY - {"NCT91000005"},
    ),
    ("every word must match", Search(text="floxuridine fludarabine"), set()),
    (
        "query syntax is only words",
        Search(text="floxuridine* ((( {} :^\"", statuses=EVERY),
        REFERENCE_FAMILY | {"NCT91000004"},
    ),
    ("a word that is only a stop word finds nothing", Search(text="floxuridine", condition="the"), set()),
    ("a filter's index token is only a word", Search(text="tfhealthyyes", statuses=EVERY), set()),
    # Words and filters (on SQLite the filters then travel inside the full-text query)
    ("words and a status", Search(text="floxuridine", statuses=(RecruitmentStatus.COMPLETED,)), {"NCT91000004"}),
    (
        "words and a sex",
        Search(text="floxuridine", sex=Sex.FEMALE, statuses=EVERY),
        REFERENCE_FAMILY - {"NCT91000005"} | {"NCT91000004"},
    ),
    ("words and a phase", Search(condition="pancreatic", phases=(Phase.PHASE2,)), {"NCT03745326"}),
    ("words and a study type", Search(condition="pancreatic", study_types=(StudyType.OBSERVATIONAL,)), {"NCT05052671"}),
    ("words and healthy volunteers", Search(text="floxuridine", healthy_volunteers=True), {"NCT91000005"}),
    ("words and an age", Search(condition="pancreatic", age_years=74), {"NCT05052671", "NCT06898385"}),
    # Places: distance is to the nearest open site, never the first listed
    ("within 30 km of Amsterdam", Search(point=AMSTERDAM, radius=30), {"NCT06857773", "NCT91000003"}),
    (
        "within 40 km: a site not yet recruiting counts",
        Search(point=AMSTERDAM, radius=40),
        {"NCT06857773", "NCT91000003", "NCT91000005"},
    ),
    (
        "within 30 miles (48 km)",
        Search(point=AMSTERDAM, radius=30, unit="mi"),
        {"NCT06857773", "NCT91000003", "NCT91000005"},
    ),
    (
        "within 40 miles (64 km): the open site in Rotterdam, not the completed one listed first",
        Search(point=AMSTERDAM, radius=40, unit="mi"),
        {"NCT06857773", "NCT91000001", "NCT91000003", "NCT91000005"},
    ),
    (
        "completed sites of completed trials",
        Search(point=AMSTERDAM, radius=10, statuses=(RecruitmentStatus.COMPLETED,)),
        {"NCT91000004"},
    ),
    (
        "completed sites of recruiting trials count when both are asked for",
        Search(point=AMSTERDAM, radius=10, statuses=(RecruitmentStatus.COMPLETED, RecruitmentStatus.RECRUITING)),
        {"NCT06857773", "NCT91000001", "NCT91000002", "NCT91000003", "NCT91000004"},
    ),
    (
        "a site not yet recruiting, recruiting asked for",
        Search(point=TULSA, radius=20, statuses=(RecruitmentStatus.RECRUITING,)),
        set(),
    ),
    ("a site not yet recruiting, by default", Search(point=TULSA, radius=20), {"NCT05052671"}),
    ("across the antimeridian", Search(point=SUVA, radius=1200), {"NCT91000006"}),
    ("not quite across it", Search(point=SUVA, radius=1100), set()),
    ("the widest radius", Search(point=SUVA, radius=2000), {"NCT91000006"}),
    # Everything at once
    ("a place and an age", Search(point=AMSTERDAM, radius=50, age_years=15), {"NCT91000003"}),
    (
        "a condition, a sex and a phase",
        Search(condition="colorectal", sex=Sex.FEMALE, phases=(Phase.PHASE3,)),
        REFERENCE_FAMILY - {"NCT91000005"},
    ),
    (
        "a type, a phase and an age",
        Search(study_types=(StudyType.INTERVENTIONAL,), phases=(Phase.PHASE1,), age_years=70),
        {"NCT03745326", "NCT06898385"},
    ),
    (
        "words, a place, a sex, healthy volunteers and statuses",
        Search(
            text="floxuridine",
            point=AMSTERDAM,
            radius=25,
            unit="mi",
            sex=Sex.MALE,
            healthy_volunteers=True,
            statuses=(RecruitmentStatus.NOT_YET_RECRUITING,),
        ),
        {"NCT91000005"},
    ),
    (
        "words, a place and an age nobody takes",
        Search(text="floxuridine", point=AMSTERDAM, radius=100, age_years=10),
        set(),
    ),
]


def _derived(nct: str, *, sites: list[dict], status: str = "RECRUITING", **changes) -> dict:
    record = copy.deepcopy(REFERENCE_RECORD)
    protocol = record["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct
    protocol["statusModule"]["overallStatus"] = status
    protocol["contactsLocationsModule"]["locations"] = sites
    eligibility = protocol["eligibilityModule"]
    for key in ("minimumAge", "maximumAge", "sex", "healthyVolunteers"):
        if key in changes:
            eligibility[key] = changes[key]
    if "phases" in changes:
        protocol["designModule"]["phases"] = changes["phases"]
    if "conditions" in changes:
        protocol["conditionsModule"] = {"conditions": changes["conditions"]}
        record.get("derivedSection", {}).pop("conditionBrowseModule", None)
        protocol["identificationModule"]["briefTitle"] = changes["title"]
        protocol["identificationModule"].pop("officialTitle", None)
    return record


def _site(city: str, lat: float, lon: float, status: str | None) -> dict:
    site = {"facility": f"{city} hospital", "city": city, "country": "Netherlands", "geoPoint": {"lat": lat, "lon": lon}}
    return {**site, "status": status} if status else site


REFERENCE_RECORD = json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text())
AMSTERDAM_SITE = (52.37403, 4.88969)


@pytest.fixture
def catalogue(database, tmp_path):
    derived = [
        _derived(
            "NCT91000001",
            sites=[_site("Amsterdam", *AMSTERDAM_SITE, "COMPLETED"), _site("Rotterdam", 51.9225, 4.47917, "RECRUITING")],
        ),
        _derived("NCT91000002", sites=[_site("Amsterdam", *AMSTERDAM_SITE, "COMPLETED")]),
        _derived(
            "NCT91000003", sites=[_site("Amsterdam", *AMSTERDAM_SITE, None)], minimumAge="12 Years", maximumAge="17 Years"
        ),
        _derived(
            "NCT91000004",
            sites=[_site("Amsterdam", *AMSTERDAM_SITE, None)],
            status="COMPLETED",
            sex="FEMALE",
            phases=["PHASE1", "PHASE2"],
        ),
        _derived(
            "NCT91000005",
            sites=[_site("Utrecht", 52.09083, 5.12222, "NOT_YET_RECRUITING")],
            status="NOT_YET_RECRUITING",
            sex="MALE",
            healthyVolunteers=True,
            conditions=["Glioblastoma"],
            title="Proton therapy for glioblastoma",
        ),
        _derived("NCT91000006", sites=[_site("Apia", -13.8333, -171.7667, "RECRUITING")]),
    ]
    folder = tmp_path / "derived"
    folder.mkdir()
    for record in derived:
        (folder / f"{record['protocolSection']['identificationModule']['nctId']}.json").write_text(json.dumps(record))
    for path in (FIXTURES / "ctgov_v2", FIXTURES / "ctgov_xml", folder):
        assert import_path(database=database, path=path).counts.rejected == 0
    return database


def found_by_the_search(database, wanted: Search) -> dict[str, float | None]:
    """The trials the search page would list (every page of them), with the distance to each one's nearest open site."""
    results = search(database=database, query=SearchQuery(wanted, page_size=MAX_PAGE_SIZE))
    assert results.total == len(results.hits)
    return {hit.nct_id: hit.nearest_site.distance_km if hit.nearest_site else None for hit in results.hits}


def found_by_the_matcher(database, wanted: Search) -> dict[str, float | None]:
    """The trials the alert run would tell a subscriber about, were the whole catalogue new (as it is: every trial
    was imported after the subscription), with the distance it measures."""
    text = TextFilter.of(wanted)
    with database.connect() as conn:
        changes = ChangeLog(conn).batch(after=0, limit=1_000)
        trials, trial_ids = candidates(conn, changes)
        words = text_matches(conn, trial_ids, [text] if text else [])
    watch = Watch.of(1, wanted, text=text or None)
    return {match.nct_id: match.distance_km for match in Matcher(trials, words).matches(watch)}


def _table(finder, database) -> dict[str, dict[str, float | None]]:
    return {name: finder(database, wanted) for name, wanted, _ in SPEC}


def test_the_search_finds_the_trials_of_every_row(catalogue):
    found = _table(found_by_the_search, catalogue)
    assert {name: set(hits) for name, hits in found.items()} == {name: expected for name, _, expected in SPEC}


def test_the_alert_matcher_finds_the_same_trials_at_the_same_distance(catalogue):
    found = _table(found_by_the_matcher, catalogue)
    assert {name: set(hits) for name, hits in found.items()} == {name: expected for name, _, expected in SPEC}
    searched = _table(found_by_the_search, catalogue)
    for name, hits in found.items():
        for nct, distance in hits.items():
            expected = searched[name][nct]
            assert distance == (None if expected is None else pytest.approx(expected, rel=1e-9)), (name, nct)


def test_the_table_is_the_whole_catalogue_and_every_row_is_different():
    assert len(OPEN_NOW | CLOSED) == len(OPEN_NOW) + len(CLOSED) == 18
    assert len({name for name, _, _ in SPEC}) == len(SPEC)
    assert len({wanted for _, wanted, _ in SPEC}) == len(SPEC)
