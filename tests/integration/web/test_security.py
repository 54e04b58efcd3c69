"""Security headers, error pages, bad input and privacy: the promises of docs/WEB.md, checked."""

from __future__ import annotations

import logging
import re

import pytest

from web.conftest import REFERENCE, make_client
from web.pages import parse

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PAGES = [
    "/",
    "/trials?q=cancer&location=Amsterdam",
    "/trials?age=-3",
    f"/trials/{REFERENCE}",
    "/faq",
    "/api/trials?q=cancer",
    f"/api/trials/{REFERENCE}",
    "/api/places?q=Amsterdam",
    "/api/openapi.json",
    "/static/site.css",
    "/static/site.js",
    "/no/such/page",
    "/api/no/such/thing",
    "/trials/NCT00000000",
    "/trials?" + "q=" + "x" * 2_100,
]


def server_log(caplog) -> str:
    """What the server logged: every record but those of the test client itself (httpx logs the URLs it fetches)."""
    return "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))


def assert_security_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "geolocation=(self)" in response.headers["permissions-policy"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_the_security_headers(client, path):
    response = client.get(path)
    assert_security_headers(response)
    # Cookies: the language choice (only when asked), and the forms' CSRF token on a page with a form.
    cookies = response.headers.get_list("set-cookie")
    # Pages with a form that changes something: the trial page (contact, notes) and search results (alerts sign-up).
    # An unknown trial is a 404 page, and a search with a mistake has no results: no form, no cookie.
    if path in (f"/trials/{REFERENCE}", "/trials?q=cancer&location=Amsterdam"):
        [cookie] = cookies
        assert cookie.startswith("csrf=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert response.headers["cache-control"] == "private, no-store"
    else:
        assert cookies == []


@pytest.mark.parametrize(
    "path", ["/", f"/trials/{REFERENCE}?location=Amsterdam", "/faq", "/trials?q=zzzzqqq", "/nowhere"]
)
def test_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag
    assert not re.search(r"<script\b[^>]*>[^<]+</script>", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "{{" not in html and "}}" not in html  # never an unfilled placeholder


def test_the_page_skeleton_is_accessible(client):
    page = parse(client.get("/trials?age=abc").text)
    html = page.find("html")
    assert html.attrs["lang"] == "en"
    assert page.find("meta", name="viewport") is not None
    skip = page.find("a", cls="skip-link")
    assert skip.attrs["href"] == "#main" and page.by_id("main").tag == "main"
    assert page.find("header") and page.find("footer") and page.find("nav", aria_label="Main menu")
    # An error is tied to its field and listed in a summary that links to it.
    age = page.by_id("f-age")
    assert age.attrs["aria-invalid"] == "true"
    assert age.attrs["aria-describedby"] == "f-age-error"
    assert page.by_id("f-age-error").text() == "Error: Enter your age as a number of years, for example 42."
    summary = page.find("div", cls="error-summary")
    assert summary.attrs["role"] == "alert"
    assert summary.find("a", href="#f-age") is not None
    for fieldset in page.find_all("fieldset"):
        assert fieldset.find("legend") is not None


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"age": "-3"}, "age", "Enter your age as a number of years, for example 42."),
        ({"age": "abc"}, "age", "Enter your age as a number of years, for example 42."),
        ({"age": "1e309"}, "age", "Enter your age as a number of years, for example 42."),
        ({"age": "130"}, "age", "Enter an age from 0 to 125 years."),
        (
            {"location": "Amsterdam", "radius": "1000000000"},
            "radius",
            "Choose a distance of more than 0 and at most 2,000 km.",
        ),
        ({"location": "Amsterdam", "radius": "0"}, "radius", "Choose a distance of more than 0 and at most 2,000 km."),
        (
            {"location": "Amsterdam", "radius": "5000", "unit": "mi"},
            "radius",
            "Choose a distance of more than 0 and at most 1,242 mi.",
        ),
        ({"location": "Amsterdam", "unit": "parsecs"}, "unit", "Choose km or mi."),
        ({"status": "RECRUITNG"}, "status", "“RECRUITNG” is not a status we know. Choose from the list."),
        ({"phase": "PHASE9"}, "phase", "“PHASE9” is not a phase we know. Choose from the list."),
        ({"type": "magic"}, "type", "“magic” is not a study type we know. Choose from the list."),
        ({"status": ["RECRUITING"] * 21}, "status", "Choose at most 20 values."),
        ({"sex": "other"}, "sex", "Choose female or male, or leave it empty."),
        ({"healthy": "maybe"}, "healthy", "Use yes, or leave it empty."),
        ({"q": "x" * 201}, "q", "Please use at most 200 characters."),
        ({"condition": "y" * 300}, "condition", "Please use at most 200 characters."),
        ({"page": "0"}, "page", "Choose a page from 1 to 500."),
        ({"page": "99999999999"}, "page", "Choose a page from 1 to 500."),
        (
            {"lat": "91", "lon": "4"},
            "lat",
            "This position is not valid. Type a city instead, or use your location again.",
        ),
        ({"lat": "52.3"}, "lon", "This position is not valid. Type a city instead, or use your location again."),
        ({"location": "Xyzzyville"}, "location", "We could not find this place."),
        ({"sort": "random"}, "sort", "Sort by relevance, distance or last update."),
    ],
)
def test_bad_input_is_a_clear_message_beside_its_field_never_an_error_page(client, params, field, message):
    response = client.get("/trials", params=params)
    assert response.status_code == 200
    page = parse(response.text)
    element_id = {"lat": "f-lat", "lon": "f-lon"}.get(field, f"f-{field}")
    assert message in page.by_id(f"{element_id}-error").text()
    assert "Please check your search" in page.find("title").text()
    # The API says the same, as JSON.
    api = client.get("/api/trials", params=params)
    assert api.status_code == 400
    error = api.json()["error"]
    assert error["field"] == field and message in error["message"]


def test_sql_looking_input_is_only_words(client):
    response = client.get("/trials", params={"q": "' OR 1=1 --"})
    assert response.status_code == 200
    assert 'value="&#39; OR 1=1 --"' in response.text
    # The words "OR", "1" and "1", looked for as words; the catalogue is still there for the next search.
    assert re.search(r"\d+ trials? found", parse(response.text).by_id("results-title").text())
    assert "8 trials found" in client.get("/trials").text


def test_script_in_input_is_shown_escaped_never_run(client):
    attack = "<script>alert(1)</script>"
    for params in ({"q": attack}, {"location": attack}, {"status": attack}, {"condition": attack}):
        response = client.get("/trials", params=params)
        assert response.status_code == 200
        assert "<script>alert" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    trial = client.get(f"/trials/{REFERENCE}", params={"location": attack})
    assert trial.status_code == 200 and "<script>alert" not in trial.text


def test_a_too_long_query_string_is_a_414_page_in_the_sites_style(client):
    response = client.get("/trials", params={"q": "cancer " * 715})  # 5,000 characters
    assert response.status_code == 414
    page = parse(response.text)
    assert page.find("h1").text() == "This search is too long"
    assert "Please use fewer or shorter words and filters." in page.text()
    assert page.find("a", href="/trials") is not None
    assert_security_headers(response)
    api = client.get("/api/trials", params={"q": "x" * 5_000})
    assert api.status_code == 414 and api.json()["error"]["message"].startswith("The address of this search")


def test_unknown_pages_are_404_pages_in_the_sites_style(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = parse(response.text)
    assert page.find("h1").text() == "Page not found"
    assert page.find("nav", aria_label="Language") is not None
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404
    assert api.json() == {"error": {"field": None, "message": api.json()["error"]["message"]}}


def test_a_post_is_405_in_the_sites_style(client):
    response = client.post("/trials", data={"q": "cancer"})
    assert response.status_code == 405
    assert parse(response.text).find("h1").text() == "This page cannot be used that way"


def test_an_internal_error_is_a_500_page_that_logs_no_private_input(database_url, gazetteer_cache, tmp_path, caplog):
    """An unmigrated database makes every query fail: a real failure, not a simulated one."""
    from trialfinder.storage.database import Database

    broken = Database(database_url)
    caplog.set_level(logging.DEBUG)
    try:
        with make_client(broken, gazetteer_cache, tmp_path) as client:
            response = client.get("/trials", params={"q": "myprivatecondition", "location": "Haarlem", "age": "47"})
            api = client.get("/api/trials", params={"q": "myprivatecondition"})
    finally:
        broken.close()
    assert response.status_code == 500
    page = parse(response.text)
    assert page.find("h1").text() == "Something went wrong on our side"
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower() and "psycopg" not in response.text
    assert_security_headers(response)
    assert api.status_code == 500 and api.json()["error"]["field"] is None
    logged = server_log(caplog)
    assert "internal error" in logged and "/trials" in logged
    assert re.search(r"internal error (OperationalError|UndefinedTable|ProgrammingError|DatabaseError)", logged)
    for private in ("myprivatecondition", "Haarlem", "age=47"):
        assert private not in logged


def test_requests_log_no_query_string(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.get("/trials", params={"q": "mysecretdisease", "location": "Utrecht", "age": "58.75"})
    assert response.status_code == 200
    client.get(f"/trials/{REFERENCE}", params={"location": "Utrecht"})
    client.get("/api/places", params={"q": "Utrecht"})
    client.get("/api/trials", params={"q": "mysecretdisease", "age": "-1"})
    logged = server_log(caplog)
    assert "GET /trials 200" in logged and "GET /api/trials 400" in logged
    for private in ("mysecretdisease", "Utrecht", "58.75"):
        assert private not in logged


def test_static_files_are_served(client):
    css = client.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    js = client.get("/static/site.js")
    assert "geolocation" in js.text
