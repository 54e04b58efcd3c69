"""English and Dutch: chosen by ?lang= (then remembered in a cookie) or by Accept-Language."""

from __future__ import annotations

import pytest

from web.conftest import REFERENCE
from web.pages import parse


def test_dutch_by_accept_language(client):
    response = client.get(f"/trials/{REFERENCE}", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    page = parse(response.text)
    assert page.find("html").attrs["lang"] == "nl"
    badges = [li.text() for li in page.find("ul", cls="badges").find_all("li")]
    assert badges == ["Status: Werft deelnemers", "Leeftijd: 18 jaar en ouder", "Geslacht: Alle", "Fase: Fase 3"]
    assert page.by_id("overview-title").text() == "Overzicht"
    assert "Inclusiecriteria: wie kan meedoen" in page.by_id("eligibility").text()
    assert "Laatst bijgewerkt op 16 september 2025" in page.find("header", cls="trial-header").text()
    # Registry text stays as registered.
    assert "The goal of this randomized clinical trial" in page.by_id("overview").text()
    # A header is not a choice: nothing to remember (the only cookie is the forms' CSRF token).
    assert [c for c in response.headers.get_list("set-cookie") if not c.startswith("csrf=")] == []


@pytest.mark.parametrize(
    ("header", "language"),
    [("nl", "nl"), ("fr-FR, nl;q=0.4", "nl"), ("en;q=0.9, nl;q=0.8", "en"), ("fr", "en"), ("", "en"), ("nl;q=0", "en")],
)
def test_accept_language_negotiation(client, header, language):
    page = parse(client.get("/faq", headers={"Accept-Language": header}).text)
    assert page.find("html").attrs["lang"] == language


def test_lang_parameter_is_remembered_in_a_cookie(client):
    response = client.get("/trials", params={"q": "cancer", "lang": "nl"})
    assert parse(response.text).find("html").attrs["lang"] == "nl"
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("lang=")]
    assert cookie.startswith("lang=nl;") and "SameSite=Lax" in cookie and "Path=/" in cookie and "HttpOnly" in cookie
    # The next request, without the parameter, is Dutch too (the test client sends the cookie back) ...
    later = client.get("/faq", headers={"Accept-Language": "en"})
    assert parse(later.text).find("h1").text() == "Vragen over klinische studies"
    # ... until English is chosen.
    english = client.get("/faq", params={"lang": "en"})
    assert parse(english.text).find("h1").text() == "Questions about clinical trials"
    assert any(c.startswith("lang=en;") for c in english.headers.get_list("set-cookie"))


def test_an_unknown_lang_is_ignored(client):
    response = client.get("/faq", params={"lang": "xx"}, headers={"Accept-Language": "nl"})
    assert parse(response.text).find("html").attrs["lang"] == "nl"
    assert "set-cookie" not in response.headers


def test_every_page_has_a_language_switch_to_the_same_page(client):
    for path in ("/", f"/trials/{REFERENCE}?location=Amsterdam", "/faq", "/no/such/page"):
        page = parse(client.get(path).text)
        switch = page.find("nav", aria_label="Language")
        links = {a.attrs["hreflang"]: a.attrs["href"] for a in switch.find_all("a")}
        base = path.split("?")[0]
        assert links["nl"].startswith(base) and links["nl"].endswith("lang=nl")
        assert links["en"].endswith("lang=en")
    links = parse(client.get(f"/trials/{REFERENCE}?location=Amsterdam&lang=en").text).find("nav", aria_label="Language")
    assert links.find("a", hreflang="nl").attrs["href"] == f"/trials/{REFERENCE}?location=Amsterdam&lang=nl"


@pytest.mark.parametrize("path", ["/%2F%2Fevil.example/x", "/%5Cevil.example/x"])
def test_a_path_that_looks_like_another_site_never_becomes_a_link_to_it(client, path):
    # The app sees "///evil.example/x" or "/\\evil.example/x": browsers read "//host" and "/\\host" as other sites.
    page = parse(client.get(path).text)
    for a in page.find("nav", aria_label="Language").find_all("a"):
        href = a.attrs["href"]
        assert href.startswith("/") and href[1] not in "/\\" and "evil.example/x?lang=" in href


def test_search_page_in_dutch_with_messages_and_numbers(client):
    html = client.get("/trials", params={"location": "Amsterdam", "radius": "1000000", "lang": "nl"}).text
    page = parse(html)
    assert "Kies een afstand van meer dan 0 en hoogstens 2.000 km." in page.by_id("f-radius-error").text()
    results = parse(client.get("/trials", params={"location": "Haarlem", "radius": "20", "lang": "nl"}).text)
    assert results.by_id("results-title").text() == "1 studie gevonden"
    assert "op 13 km" in results.by_id(f"hit-{REFERENCE}").parent.text()  # to its postal code, 1066 CX
    assert "Bij Haarlem, Nederland, binnen 20 km." in results.text()
    assert results.by_id("f-status-RECRUITING").parent.text().startswith("Werft deelnemers")


def test_error_pages_in_dutch(client):
    page = parse(client.get("/trials/NCT00000000", headers={"Accept-Language": "nl"}).text)
    assert page.find("h1").text() == "Pagina niet gevonden"
    assert "Studie NCT00000000 staat niet in deze catalogus." in page.text()
