"""The trial page: every section of the listing page our product started from, for real records."""

from __future__ import annotations

import pytest

from web.conftest import COMPLETED_NEARBY, REFERENCE
from web.pages import parse


def trial_page(client, nct: str, **params):
    response = client.get(f"/trials/{nct}", params=params)
    assert response.status_code == 200
    return parse(response.text), response.text


def test_the_reference_trial_shows_every_section_of_the_listing_page(client):
    page, html = trial_page(client, REFERENCE)
    assert page.find("h1").text() == (
        "Induction Treatment for Initially Unresectable Colorectal Liver Metastases: Combined Hepatic Arterial "
        "Infusion Pump Therapy With Systemic Therapy"
    )
    badges = [li.text() for li in page.find("ul", cls="badges").find_all("li")]
    assert badges == ["Status: Recruiting", "Ages: 18 years and older", "Sex: All", "Phase: Phase 3"]

    overview = page.by_id("overview")
    notes = [note.text() for note in overview.find_all("p", cls="source-note")]
    assert notes[0].startswith("Written automatically from the registry record")  # the plain-language overview
    assert "as registered on ClinicalTrials.gov" in notes[1]  # then the study team's own summary
    assert "The goal of this randomized clinical trial is to investigate induction treatment" in overview.text()
    # The summary's Markdown bullets are a list.
    assert "Questionnaires for Quality of Life" in [li.text() for li in overview.find_all("li")]

    procedures = page.by_id("procedures")
    arms = [li for li in procedures.find("ul", cls="arms").find_all("li") if li.parent.attrs.get("class") == "arms"]
    assert arms[0].find("strong").text() == "HAIP-SYST"
    assert "(Experimental)" in arms[0].text()
    assert [li.text() for li in arms[0].find("ul").find_all("li")] == [
        "Drug: Intra arterial infusion Floxuridine (FUDR) combined with systemic therapy",
        "Device: Hepatic arterial infusion pump (HAIP)",
    ]
    assert arms[1].find("strong").text() == "Systemic therapy" and "(Active comparator)" in arms[1].text()

    eligibility = page.by_id("eligibility")
    inclusion = eligibility.find("div", cls="criteria-inclusion")
    exclusion = eligibility.find("div", cls="criteria-exclusion")
    assert "Inclusion criteria: who can take part" in eligibility.text()
    top = [li for li in inclusion.find("ul").children if not isinstance(li, str)]
    assert top[0].text() == "Age ≥ 18 years."
    labs = next(li for li in top if li.text().startswith("Laboratory requirements"))
    nested = [li.text() for li in labs.find("ul").find_all("li")]
    assert nested[0] == "Hb ≥ 5.5 mmol/L"
    assert "Prothrombin time or INR < 1.5 x ULN" in nested[-1]  # "<" shown as text, escaped in the HTML
    assert len(nested) == 9
    assert "Prior hepatic radiation, resection, or ablation." in [li.text() for li in exclusion.find_all("li")]
    assert "Underlying liver disease including liver fibrosis and cirrhosis" in exclusion.text()

    details = page.by_id("details")
    facts = dict(
        zip([dt.text() for dt in details.find_all("dt")], [dd.text() for dd in details.find_all("dd")], strict=True)
    )
    assert facts["Conditions"] == "Colorectal Neoplasms Liver Metastases Floxuridine Vascular Access Device"
    assert facts["Study type"] == "Interventional"
    assert facts["Participants"] == "306 participants (estimated)"
    assert facts["Start"] == "21 November 2024"
    assert facts["Completion"] == "31 January 2035"
    assert facts["Last update"] == "16 September 2025"
    assert facts["Sponsor"] == "The Netherlands Cancer Institute"
    assert "2023-506194-35-00 (EU CT number)" in facts["Other ids"]
    assert "M23PIT" in facts["Other ids"]
    registry = details.find("a", href="https://clinicaltrials.gov/study/NCT06857773")
    assert registry is not None and registry.text() == "NCT06857773"

    sites = page.by_id("sites")
    site = sites.find("ol", cls="sites").find("li")
    assert "The Netherlands Cancer Institute, Amsterdam, Netherlands" in site.text()
    assert "Site status: Recruiting" in site.text()
    assert "Last updated 16 September 2025" in page.find("header", cls="trial-header").text()
    assert page.by_id("contact").find("h2").text() == "Contact"  # no contacts registered: says so
    assert "The registry gives no contact for this trial" in page.by_id("contact").text()
    assert [summary.text() for summary in page.by_id("faq").find_all("summary")][:2] == [
        "What is a clinical trial?",
        "Why do people take part?",
    ]
    # Headings in order: one h1, then h2s, never a skipped level.
    levels = [int(element.tag[1]) for element in page.iter() if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_sites_get_distances_from_the_search_location_and_open_sites_come_first(client):
    page, _ = trial_page(client, COMPLETED_NEARBY, location="Amsterdam", radius="50")
    sites = page.by_id("sites").find("ol", cls="sites").find_all("li")
    assert "Institut Gustave Roussy" in sites[0].text() and "Site status: Recruiting" in sites[0].text()
    assert "431 km away" in sites[0].text()
    assert "The Netherlands Cancer Institute" in sites[1].text() and "Site status: Completed" in sites[1].text()
    assert "5.7 km away" in sites[1].text()  # its postal code's place, 1066 CX, not the city's centre
    assert "Distances from Amsterdam, Netherlands." in page.by_id("sites").text()
    back = page.find("a", href="/trials?location=Amsterdam&radius=50")
    assert back is not None and back.text() == "Back to your search results"


def test_nearest_site_first_among_open_sites(client):
    page, _ = trial_page(client, "NCT05052671", location="Tulsa")
    names = [li.find("strong").text() for li in page.by_id("sites").find("ol", cls="sites").find_all("li")]
    assert names == ["Stephenson Cancer Center- Tulsa", "University of Oklahoma"]
    # Only recruiting sites are open when only recruiting trials were asked for: Tulsa's is not recruiting yet.
    page, _ = trial_page(client, "NCT05052671", location="Tulsa", status="RECRUITING")
    names = [li.find("strong").text() for li in page.by_id("sites").find("ol", cls="sites").find_all("li")]
    assert names == ["University of Oklahoma", "Stephenson Cancer Center- Tulsa"]


def test_an_unknown_place_on_the_trial_page_is_a_message_not_an_error(client):
    page, _ = trial_page(client, REFERENCE, location="Xyzzyville")
    assert "We could not find this place." in page.by_id("f-location-error").text()
    assert "km away" not in page.by_id("sites").text()


def test_central_contacts_and_escaped_criteria_of_a_record_with_them(client):
    page, html = trial_page(client, "NCT03745326")
    contact = page.by_id("contact")
    assert contact.find("a", href="mailto:irc@nih.gov") is not None
    assert contact.find("a", href="tel:(866)820-4505") is not None
    criteria = page.by_id("eligibility")
    # `ANC \> 1000/mm\^3` is Markdown for "ANC > 1000/mm^3".
    assert "ANC > 1000/mm^3 without the support of filgrastim" in criteria.text()
    assert "\\>" not in criteria.text()
    assert criteria.find("div", cls="criteria-exclusion").find("ol") is not None
    assert "Patients must be HLA-A*11:01 positive" in criteria.text()


def test_a_legacy_xml_record_gets_its_sections_too(client):
    page, _ = trial_page(client, "NCT00006099")
    assert "Status: Terminated" in page.find("ul", cls="badges").text()
    eligibility = page.by_id("eligibility")
    assert "Absolute neutrophil count (ANC) > 1.5 x 10^9/L" in eligibility.find("div", cls="criteria-inclusion").text()
    assert "Psychiatric, addictive or other disorders" in eligibility.find("div", cls="criteria-exclusion").text()
    assert "Sex: Female" in page.find("ul", cls="badges").text()


@pytest.mark.parametrize("nct", ["NCT00000000", "NCT99999999"])
def test_an_unknown_trial_is_a_404_page_in_the_sites_style(client, nct):
    response = client.get(f"/trials/{nct}")
    assert response.status_code == 404
    page = parse(response.text)
    assert page.find("h1").text() == "Page not found"
    assert f"There is no trial {nct} in this catalogue." in page.text()
    assert page.find("a", href="/trials") is not None
    assert page.find("nav", aria_label="Language") is not None


@pytest.mark.parametrize(
    "path", ["/trials/NCT123", "/trials/nct-06857773", "/trials/%3Cscript%3E", "/trials/NCT068577731"]
)
def test_a_malformed_trial_id_is_a_404_never_a_500(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "This is not a ClinicalTrials.gov number" in response.text
    assert "<script>" not in response.text


def test_a_lower_case_id_finds_the_trial(client):
    page, _ = trial_page(client, REFERENCE.lower())
    assert "PUMP-IT RCT" in page.find("header", cls="trial-header").text()


def test_a_trial_with_many_sites_shows_the_first_and_links_to_the_rest(client, import_records, tmp_path):
    from web.conftest import derived_record, write_records

    sites = [
        {"facility": f"Hospital {n}", "status": "RECRUITING", "city": "Utrecht", "country": "Netherlands",
         "geoPoint": {"lat": 52.09083 + n / 1000, "lon": 5.12222}}
        for n in range(60)
    ]  # fmt: skip
    import_records(write_records(tmp_path / "many", [derived_record("NCT08200001", sites=sites)]))
    page, _ = trial_page(client, "NCT08200001", location="Utrecht")
    listed = page.by_id("sites").find("ol", cls="sites").find_all("li")
    assert len(listed) == 50
    assert listed[0].find("strong").text() == "Hospital 0"  # the nearest
    more = page.by_id("sites").find("a", href="/trials/NCT08200001?location=Utrecht&sites_page=2#sites", rel="next")
    assert more is not None and more.text() == "Next"
    page, _ = trial_page(client, "NCT08200001", location="Utrecht", sites_page="2")
    assert len(page.by_id("sites").find("ol", cls="sites").find_all("li")) == 10
