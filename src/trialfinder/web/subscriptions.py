"""Notifications ("Would you like to be notified about other trials?"): sign-up, confirmation, manage, unsubscribe.

    GET  /subscriptions/new?<search>        the sign-up form on a page of its own, what to watch prefilled
    POST /subscriptions                     sign up (from that page, the search page or a trial page)
    GET  /subscriptions/sent                "check your email": the same page whatever the address's state
    GET/POST /subscriptions/confirm?token=  the confirmation link (a button: mail scanners open links)
    GET/POST /subscriptions/manage?token=   change what is watched and how often, or delete
    GET/POST /subscriptions/unsubscribe?token=  one click: RFC 8058's POST needs no form token (the link's signed
                                            token is the authority); the GET shows a button

What a person types (address, saved search) goes to actions.subscriptions and storage.subscriptions only and is
never logged. The saved search is a `domain.search.Search`, read from the form by the search page's own parser
(web/params.py) and stored by actions.subscriptions as its query string.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from trialfinder.actions import subscriptions as actions
from trialfinder.actions.notify import alert_composer
from trialfinder.actions.outbox import deliver_quietly
from trialfinder.actions.signed_links import TokenState
from trialfinder.actions.subscription_emails import CONFIRM, MANAGE, UNSUBSCRIBE, manage_url
from trialfinder.actions.subscriptions import StoredSubscription
from trialfinder.domain.search import Search
from trialfinder.domain.subscriptions import Frequency, normalise_email
from trialfinder.domain.trial import Phase, StudyType, Trial
from trialfinder.views import vocabulary
from trialfinder.views.i18n import N_, Message
from trialfinder.views.links import url
from trialfinder.views.saved_search import describe
from trialfinder.web.forms import (
    CSRF_FIELD,
    HONEYPOT_FIELD,
    MAX_FORM_BYTES,
    FieldErrors,
    client_key,
    csrf_ok,
    csrf_token,
    email_key,
    set_csrf_cookie,
)
from trialfinder.web.params import MULTI_FIELDS, SINGLE_FIELDS, FieldError, SearchForm, parse_search
from trialfinder.web.rendering import language_of
from trialfinder.web.services import CANNOT_EMAIL, FormHandler, Services

log = logging.getLogger("trialfinder.web.subscriptions")

WATCH_FIELDS = tuple(name for name in SINGLE_FIELDS if name not in ("sort", "page"))
# The purpose each link's token is signed for (actions.subscription_emails).
PURPOSES = {"confirm": CONFIRM, "manage": MANAGE, "unsubscribe": UNSUBSCRIBE}
# What a link shows when it does not open its subscription: its state and status code.
REFUSED_LINKS = {TokenState.EXPIRED: 410, TokenState.INVALID: 400, TokenState.GONE: 410}
FREQUENCIES = (
    (Frequency.IMMEDIATE, N_("As they come")),
    (Frequency.DAILY, N_("Once a day at most")),
    (Frequency.WEEKLY, N_("Once a week at most")),
)
PROBLEMS = {
    "email": N_("Please enter an email address such as name@example.com."),
    "frequency": N_("Please choose how often you would like to hear from us."),
}
FIELD_IDS = {
    "email": "s-email",
    "frequency": "s-frequency-immediate",
    "q": "s-q",
    "condition": "s-condition",
    "intervention": "s-intervention",
    "location": "s-location",
    "lat": "s-location",
    "lon": "s-location",
    "radius": "s-radius",
    "unit": "s-unit",
    "age": "s-age",
    "sex": "s-sex-any",
    "healthy": "s-healthy",
    "status": "s-status-RECRUITING",
    "phase": "s-phase-NA",
    "type": "s-type-INTERVENTIONAL",
}


@dataclass
class SubscribeForm(FieldErrors):
    """The sign-up form as shown: the search it watches (a SearchForm), the address and frequency, the errors."""

    search: SearchForm
    email: str = ""
    frequency: str = Frequency.IMMEDIATE.value
    errors: list[FieldError] = field(default_factory=list)
    notice: Message | None = None


class Subscriptions(FormHandler):
    def __init__(self, services: Services):
        super().__init__(services)
        # A person signs up a few times at most; a flood from one client, or at one address, is refused.
        self.per_client = self.rate_limiter("subscriptions.per_client", limit=10, window=600)
        self.per_address = self.rate_limiter("subscriptions.per_address", limit=3, window=24 * 3600)

    # --- the box on the search and trial pages --------------------------------------------------------------------

    def search_box(self, request: Request, form: SearchForm) -> dict:
        """ "Save this search": the search page's own parameters, when there is a valid search to save."""
        if form.query is None or form.is_empty:
            return {"subscribe": None}
        return {"subscribe": self._box(request, form.search, heading=N_("Get an email about new trials for this search"))}

    def trial_box(self, request: Request, trial: Trial, form: SearchForm) -> dict:
        """ "Trials like this one": its first condition, and the place and radius the visitor searched with."""
        where = form.search
        search = Search(
            condition=trial.conditions[0][:200] if trial.conditions else "",
            location=where.location,
            point=where.point,
            radius=where.radius,
            unit=where.unit,
        )
        if search == Search():
            return {"subscribe": None}
        return {"subscribe": self._box(request, search, heading=N_("Get an email about new trials like this one"))}

    def after_request_box(self, request: Request, trial: Trial, *, email: str = "", location: str = "") -> dict:
        """ "Trials like this one" after a contact request: its first condition and, when given, the place the person
        lives (within the default radius), with their address filled in. Only the browser that sent the request is
        given `email` and `location` (web/contact.py)."""
        search = Search(condition=trial.conditions[0][:200] if trial.conditions else "", location=location[:200])
        if search == Search():
            return {"subscribe": None}
        box = self._box(request, search, heading=N_("Get an email about new trials like this one"))
        box["email"] = email
        return {"subscribe": box}

    def _box(self, request: Request, search: Search, *, heading: str) -> dict:
        token, _ = csrf_token(request)
        pairs = search.pairs()
        return {
            "email": "",
            "heading": heading,
            "pairs": pairs,
            "summary": describe(search, self.renderer.formatter(request)),
            "change_href": url("/subscriptions/new", pairs),
            "csrf_token": token,
            "frequencies": FREQUENCIES,
        }

    def with_csrf_cookie(self, request: Request, response: Response) -> Response:
        token, new = csrf_token(request)
        if new:
            set_csrf_cookie(response, request, token)
        response.headers["cache-control"] = "private, no-store"
        return response

    # --- the sign-up form on its own page ---------------------------------------------------------------------------

    def _parse(self, request: Request, pairs) -> SearchForm:
        language = language_of(request)
        return parse_search(pairs, find_place=self.places.for_language(language), language=language)

    def new(self, request: Request) -> Response:
        items = [
            (key, value) for key, value in request.query_params.multi_items() if key in (*WATCH_FIELDS, *MULTI_FIELDS)
        ]
        return self._form_page(request, SubscribeForm(self._parse(request, items)))

    def _form_page(
        self, request: Request, form: SubscribeForm, *, status_code: int = 200, manage: dict | None = None
    ) -> Response:
        token, _ = csrf_token(request)
        context = {
            "form": form,
            "search": form.search,
            "csrf_token": token,
            "csrf_field": CSRF_FIELD,
            "frequencies": FREQUENCIES,
            "field_ids": FIELD_IDS,
            "status_options": (
                *vocabulary.FORM_STATUSES,
                *(s for s in form.search.statuses if s not in vocabulary.FORM_STATUSES),
            ),
            "phase_options": tuple(Phase),
            "type_options": tuple(StudyType),
            "manage": manage,
            "confirm_days": self.settings.subscription_confirm_days,
        }
        response = self.renderer.render(request, "subscription_form.html", context, status_code=status_code)
        return self.with_csrf_cookie(request, response)

    async def _fields(self, request: Request) -> tuple[dict[str, str], list[tuple[str, str]]] | None:
        """The posted fields (first value of each) and the search's parameters (repeatable ones all), or None when
        the body is too large or not a form. Bounded as forms.read_form is: never more than MAX_FORM_BYTES read."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            return None
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            return None
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_FORM_BYTES:
                return None
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            return None
        fields: dict[str, str] = {}
        for key, value in pairs:
            fields.setdefault(key, value.strip())
        items = [(key, value.strip()) for key, value in pairs if key in (*WATCH_FIELDS, *MULTI_FIELDS)]
        return fields, items

    def _read(
        self, request: Request, fields: dict[str, str], items
    ) -> tuple[SubscribeForm, str | None, Frequency | None]:
        search = self._parse(request, items)
        form = SubscribeForm(search, email=fields.get("email", "")[:300], frequency=fields.get("frequency", ""))
        form.errors = list(search.errors)
        email = normalise_email(form.email)
        if email is None:
            form.errors.insert(0, FieldError("email", Message(PROBLEMS["email"])))
        frequency = next((item for item, _ in FREQUENCIES if item.value == form.frequency), None)
        if frequency is None:
            form.errors.insert(1 if email is None else 0, FieldError("frequency", Message(PROBLEMS["frequency"])))
        return form, email, frequency

    async def submit(self, request: Request) -> Response:
        read = await self._fields(request)
        if read is None:
            form = SubscribeForm(self._parse(request, []))
            form.notice = Message(N_("We could not read your sign-up. Please fill in the form again."))
            return self._form_page(request, form, status_code=400)
        fields, items = read
        form, email, frequency = self._read(request, fields, items)
        if not self.per_client.hit(client_key(request)):
            form.notice = Message(
                N_("Too many sign-ups have come from your connection. Please wait a few minutes and try again.")
            )
            return self._form_page(request, form, status_code=429)
        if not csrf_ok(request, fields):
            form.notice = Message(
                N_(
                    "For your safety this form had expired, so nothing was sent. Please check the form and send it again."
                )
            )
            return self._form_page(request, form, status_code=403)
        if not self.services.can_email_links(request):
            form.notice = Message(CANNOT_EMAIL)
            return self._form_page(request, form, status_code=503)
        if fields.get(HONEYPOT_FIELD):
            log.info("subscription sign-up: honeypot filled, dropped")
            return RedirectResponse("/subscriptions/sent", status_code=303)
        if form.errors or email is None or frequency is None or form.search.query is None:
            return self._form_page(request, form, status_code=400)
        # From here on the answer is the same whatever the address's state (new, pending, confirmed, or busy).
        if self.per_address.hit(email_key(email)):
            actions.sign_up(
                database=self.database,
                email=email,
                language=language_of(request),
                search=form.search.search,
                frequency=frequency,
                writer=self.writer,
                base_url=self.base_url(request),
                confirm_days=self.settings.subscription_confirm_days,
                now=self.clock(),
            )
        return RedirectResponse("/subscriptions/sent", status_code=303, background=BackgroundTask(self.deliver))

    def sent(self, request: Request) -> Response:
        context = {"confirm_days": self.settings.subscription_confirm_days}
        return self.renderer.render(request, "subscription_sent.html", context)

    # --- links from emails ------------------------------------------------------------------------------------------

    async def _link(
        self, request: Request, purpose: str
    ) -> tuple[dict[str, str], StoredSubscription | None, Response | None]:
        fields: dict[str, str] = {}
        if request.method == "POST":
            read = await self._fields(request)
            fields = read[0] if read else {}
            request.state.subscription_items = read[1] if read else []
        token = request.query_params.get("token") or fields.get("token", "")
        opened = actions.open_link(
            signer=self.signer, database=self.database, purpose=PURPOSES[purpose], token=token, now=self.clock()
        )
        subscription = opened.subscription
        if subscription is None:  # expired, invalid, or gone (deleted)
            state = opened.state
            return fields, None, self._link_page(request, purpose, state.value, token, status_code=REFUSED_LINKS[state])
        fields["token"] = token
        return fields, subscription, None

    def _link_page(
        self, request: Request, purpose: str, state: str, token: str, *, status_code: int = 200, **context
    ) -> Response:
        csrf, _ = csrf_token(request)
        values = {
            "purpose": purpose,
            "state": state,
            "token": token,
            "csrf_token": csrf,
            "csrf_field": CSRF_FIELD,
            "summary": [],
            "manage_href": None,
            **context,
        }
        response = self.renderer.render(request, "subscription_link.html", values, status_code=status_code)
        return self.with_csrf_cookie(request, response)

    async def confirm(self, request: Request) -> Response:
        fields, subscription, refused = await self._link(request, "confirm")
        if refused is not None:
            return refused
        assert subscription is not None
        token = fields["token"]
        summary = describe(subscription.saved_search(), self.renderer.formatter(request))
        manage_href = manage_url(self.writer, "", subscription)
        if subscription.state == "confirmed":
            return self._link_page(request, "confirm", "done", token, summary=summary, manage_href=manage_href)
        if request.method == "POST":
            if not csrf_ok(request, fields):
                return self._link_page(
                    request, "confirm", "confirm", token, status_code=403, summary=summary, expired_form=True
                )
            actions.confirm(database=self.database, subscription=subscription, now=self.clock())
            return self._link_page(request, "confirm", "done", token, summary=summary, manage_href=manage_href)
        return self._link_page(request, "confirm", "confirm", token, summary=summary)

    async def unsubscribe(self, request: Request) -> Response:
        fields, subscription, refused = await self._link(request, "unsubscribe")
        if refused is not None:
            # Deleted already (a second click, or a mail client's one-click POST before the person's): done is done.
            if request.method == "GET" or refused.status_code != 410:
                return refused
            return self._link_page(request, "unsubscribe", "done", "")
        assert subscription is not None
        if request.method == "POST":
            # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookie; the signed token suffices.
            actions.delete(database=self.database, subscription_id=subscription.id)
            return self._link_page(request, "unsubscribe", "done", "")
        summary = describe(subscription.saved_search(), self.renderer.formatter(request))
        return self._link_page(request, "unsubscribe", "confirm", fields["token"], summary=summary)

    async def manage(self, request: Request) -> Response:
        fields, subscription, refused = await self._link(request, "manage")
        if refused is not None:
            return refused
        assert subscription is not None
        token = fields["token"]
        manage = {"token": token, "subscription": subscription, "saved": False}
        if request.method == "GET":
            search = self._parse(request, parse_qsl(subscription.search))
            form = SubscribeForm(search, email=subscription.email, frequency=subscription.frequency)
            return self._form_page(request, form, manage=manage)
        items = getattr(request.state, "subscription_items", [])
        if not csrf_ok(request, fields):
            form = SubscribeForm(
                self._parse(request, items), email=subscription.email, frequency=fields.get("frequency", "")
            )
            form.notice = Message(
                N_("For your safety this form had expired, so nothing was changed. Please press the button again.")
            )
            return self._form_page(request, form, status_code=403, manage=manage)
        if fields.get("action") == "delete":
            actions.delete(database=self.database, subscription_id=subscription.id)
            return self._link_page(request, "unsubscribe", "done", "")
        form, _, frequency = self._read(request, {**fields, "email": subscription.email}, items)
        if form.errors or frequency is None or form.search.query is None:
            return self._form_page(request, form, status_code=400, manage=manage)
        actions.change(
            database=self.database,
            subscription=subscription,
            search=form.search.search,
            frequency=frequency,
            language=language_of(request),
        )
        return self._form_page(request, form, manage={**manage, "saved": True})

    def deliver(self) -> None:
        deliver_quietly(
            database=self.database,
            sender=self.sender,
            after="a sign-up",
            compose=alert_composer(database=self.database, writer=self.writer),
            now=self.clock(),
        )

