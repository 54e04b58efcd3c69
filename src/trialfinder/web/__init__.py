"""The patient-facing website: search, trial pages, FAQ, and their JSON twins under /api/.

Thin by design: handlers parse input (`params`), call a query (`queries.search`, `storage.trials`), and render
(`rendering`). `create_app` in `app.py` builds everything from the settings and database passed in.

Privacy: what a person types (search words, age, sex, location) arrives in query strings. It is used to answer
the request and is never logged or stored: the access log (`access_log.py`) and the error handler (`errors.py`)
write the method, the path and the status or error type only. The contact form (`contact.py`) posts a person's
details, which are stored for the referral and emailed to the study team, never logged. Cookies: the language
choice and the CSRF token of forms.
"""
