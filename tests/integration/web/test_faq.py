"""The FAQ: what a trial is, why people join, duration, costs, oversight, and what the site does with data."""

from __future__ import annotations

from web.pages import parse


def test_the_faq_answers_the_questions_people_ask(client):
    page = parse(client.get("/faq").text)
    assert page.find("h1").text() == "Questions about clinical trials"
    questions = [heading.text() for heading in page.find_all("h3")]
    assert questions[:5] == [
        "What is a clinical trial?",
        "Why do people take part?",
        "How long does a trial last?",
        "Will I be paid? Does it cost me anything?",
        "How safe are trials, and who oversees them?",
    ]
    assert "independent ethics committee" in page.by_id("safety").text()
    privacy = page.by_id("privacy")
    assert "It is not stored, and it is not linked to you, unless you save it to be notified" in privacy.text()
    assert "The site sets three cookies at most: lang, only when you choose a language" in privacy.text()
    assert "notes_owner, only when you add a private note" in privacy.text()
    assert "Notes and links nobody has used for 180 days are deleted" in privacy.text()
    assert "We delete them after 180 days, or at once when you use the withdraw link" in privacy.text()
    assert "never written to our logs" in privacy.text()
    assert "Nothing is sent until you confirm through the link we email you" in privacy.text()
    statuses = page.by_id("statuses").text()
    assert "Not yet recruiting will start looking for participants soon" in statuses


def test_the_faq_in_dutch(client):
    page = parse(client.get("/faq", params={"lang": "nl"}).text)
    assert [heading.text() for heading in page.find_all("h3")][0] == "Wat is een klinische studie?"
    assert "medisch-ethische toetsingscommissie" in page.by_id("safety").text()
    privacy = page.by_id("privacy").text()
    assert "Het wordt niet bewaard en niet aan u gekoppeld, tenzij u de zoekopdracht bewaart" in privacy
    assert "Werft nog niet gaat binnenkort deelnemers zoeken" in page.by_id("statuses").text()


def test_the_faq_tells_the_same_story_as_the_contact_form(client):
    # Issue #15: the FAQ said the site "does not pass your details on to anyone", while the contact form does.
    # (The contact form's own words: test_contact.py.)
    for language, take_part, privacy in (
        (
            "en",
            "This site passes your details on only when you send that form, and only for the study team",
            "This is the only time this site passes your details to anyone.",
        ),
        (
            "nl",
            "Deze site geeft uw gegevens alleen door als u dat formulier verstuurt",
            "Alleen dan geeft deze site uw gegevens aan iemand door.",
        ),
    ):
        faq = parse(client.get("/faq", params={"lang": language}).text)
        assert take_part in faq.by_id("take-part").text()
        assert faq.by_id("take-part").find("a", href="#privacy") is not None
        assert privacy in faq.by_id("privacy").text()
        assert "does not pass your details on" not in faq.text()
        assert "geeft uw gegevens aan niemand door" not in faq.text()
