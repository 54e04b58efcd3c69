""" "Get in touch with the nearest study center": the contact form, its routing, and the links in its emails.

    POST /trials/{nct_id}/contact        send the form (or, with action=find, show the nearest site first)
    GET  /trials/{nct_id}/contact        the form on a page of its own (where errors come back)
    GET  /trials/{nct_id}/contact/sent   the confirmation, naming the site, and the offer to be notified about other
                                         trials; "You already sent this request on …" when it was sent again
    GET/POST /referrals/withdraw?token=  the person withdraws the request (their copy's link)
    GET/POST /referrals/contacted?token= the study team marks the referral as contacted (their email's link)

Order of work on a POST: bounded read, rate limit, CSRF, honeypot, validation; then actions.referrals applies the
request's rules (the same request sent again finds the first, a few requests per address a day), stores the referral
and queues its emails; delivery happens after the response. What a person typed is never logged.

The same request sent again (Back and Send, a second tab, the same form twice) is not stored twice, and the person
is told when they sent it; "the same" includes the browser, known here by its form cookie (see actions.referrals).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from trialfinder.actions import referrals as referral_actions
from trialfinder.actions.outbox import deliver_quietly
from trialfinder.actions.referral_emails import CONTACTED, LANGUAGE_NAMES, WITHDRAW, site_place
from trialfinder.actions.signed_links import TokenState
from trialfinder.domain.referral import (
    CONTACT_LANGUAGES,
    RoutableSite,
    Route,
    check_contact_fields,
    choose_route,
    contact_request,
    routable_sites,
    route_for,
    trial_accepts_referrals,
)
from trialfinder.domain.trial import Trial
from trialfinder.domain.values import GeoPoint, is_nct_id, nct_id
from trialfinder.queries.referrals import StoredReferral, find_referral
from trialfinder.queries.trials import find_trial
from trialfinder.views.i18n import N_, Message
from trialfinder.web.errors import not_found
from trialfinder.web.forms import (
    CSRF_COOKIE,
    CSRF_FIELD,
    HONEYPOT_FIELD,
    FieldErrors,
    FormTooLarge,
    FormUnreadable,
    client_key,
    csrf_ok,
    csrf_token,
    read_form,
    set_csrf_cookie,
)
from trialfinder.web.params import FieldError
from trialfinder.web.rendering import language_of
from trialfinder.web.services import CANNOT_EMAIL, FormHandler, Services

log = logging.getLogger("trialfinder.web.contact")

NEAREST = "nearest"
FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "contact_language",
    "other_language",
    "residence",
    "message",
    "consent",
    "site",
)
FIELD_IDS = {name: f"c-{name.replace('_', '-')}" for name in FIELDS}
FIELD_IDS["contact_language"] = "c-contact-language"
_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# What a link from a referral's email shows when it does not open it: its state and status code.
REFUSED_LINKS = {TokenState.EXPIRED: 410, TokenState.INVALID: 400, TokenState.GONE: 410}

PROBLEM_MESSAGES = {
    ("first_name", "required"): N_("Please enter your first name."),
    ("last_name", "required"): N_("Please enter your last name."),
    ("email", "required"): N_("Please enter your email address."),
    ("email", "invalid"): N_("Please enter an email address such as name@example.com."),
    ("phone", "required"): N_("Please enter a phone number, so that the study team can call you."),
    ("phone", "invalid"): N_("Please enter a phone number with digits only, such as +31 20 123 4567."),
    ("contact_language", "required"): N_("Please choose the language you would like to be contacted in."),
    ("contact_language", "invalid"): N_("Please choose the language you would like to be contacted in."),
    ("other_language", "required"): N_("Please write which language you would like to be contacted in."),
    ("residence", "required"): N_(
        "Please enter where you live (a city or a postal code), so that we can find the nearest site."
    ),
    ("residence", "not_found"): N_(
        "We could not find this place. Try a nearby city or a postal code, or choose a site from the list."
    ),
    ("message", "too_long"): N_("Please shorten your message to at most %(max)s characters."),
    ("consent", "required"): N_(
        "Please agree that we pass your details to the study team; without it we cannot send your request."
    ),
    ("site", "invalid"): N_("This site cannot take requests at the moment. Please choose another site."),
}
SITE_CHOICES = 50  # sites listed in the form's site chooser
TOO_LONG = N_("Please use at most %(max)s characters.")
INVALID = N_("Please use a single line without special characters.")
LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "other_language": 60,
    "residence": 120,
    "message": 2000,
}


@dataclass
class ContactForm(FieldErrors):
    """The form as shown: the values typed (kept on every error), the errors, the site the request would go to."""

    values: dict[str, str]
    errors: tuple[FieldError, ...] = ()
    notice: Message | None = None  # a message for the whole form (rate limit, expired form)
    sites: list[RoutableSite] = field(default_factory=list)
    preview: Route | None = None

    @property
    def site_choices(self) -> list[RoutableSite]:
        """The sites the form's list offers: the first SITE_CHOICES (the nearest, when the person's place is known),
        and the one chosen if it is further down. A trial with thousands of sites would otherwise make the page
        megabytes of options."""
        shown = self.sites[:SITE_CHOICES]
        chosen = self.values.get("site")
        if chosen and chosen != NEAREST and all(item.key != chosen for item in shown):
            shown = shown + [item for item in self.sites if item.key == chosen][:1]
        return shown

    @property
    def sites_nearest_first(self) -> bool:
        return bool(self.sites) and self.sites[0].distance_km is not None


class Contact(FormHandler):
    def __init__(self, services: Services):
        super().__init__(services)
        # Per client address: a few requests are plenty for a person; a script hits the limit at once.
        self.per_client = self.rate_limiter("contact.per_client", limit=10, window=600)
        self.sends_per_client = self.rate_limiter("contact.sends_per_client", limit=5, window=3600)
        self.subscriptions = None  # web.subscriptions.Subscriptions: the offer to be notified, after sending

    # --- the form, as part of the trial page -----------------------------------------------------------------------

    def form_for(self, request: Request, trial: Trial, *, home: GeoPoint | None, home_label: str | None) -> dict:
        """The context the trial page needs to show the form (the nearest site preselected when a place is known)."""
        values = {name: "" for name in FIELDS}
        values["residence"] = home_label or ""
        values["site"] = NEAREST
        values["contact_language"] = language_of(request)
        sites = routable_sites(trial, home)  # a pass over every site: once per page
        form = ContactForm(values, sites=sites)
        form.preview = choose_route(
            trial, home=home, site_choice=None, operator_inbox=self.settings.referral_inbox, sites=sites
        )
        return self._context(request, trial, form)

    def _context(self, request: Request, trial: Trial, form: ContactForm) -> dict:
        token, _ = csrf_token(request)
        return {
            "contact": form,
            "contact_open": self.accepts(trial, form.sites or None),
            "contact_fields": FIELD_IDS,
            "contact_languages": CONTACT_LANGUAGES,
            "csrf_token": token,
            "submission": referral_actions.new_submission(),
            "nearest": NEAREST,
            "language_names": LANGUAGE_NAMES,
            "retention_days": self.settings.referral_retention_days,
        }

    def accepts(self, trial: Trial, sites: list[RoutableSite] | None = None) -> bool:
        """Whether the form is offered at all: some route exists for the trial (`sites`: its routable sites, in any
        order, when the caller has them)."""
        if not trial_accepts_referrals(trial):
            return False
        if sites is None:
            sites = routable_sites(trial, None)
        if not sites:
            return route_for(trial, None, operator_inbox=self.settings.referral_inbox) is not None
        return any(route_for(trial, site, operator_inbox=self.settings.referral_inbox) for site in sites)

    def with_csrf_cookie(self, request: Request, response: Response) -> Response:
        token, new = csrf_token(request)
        if new:
            set_csrf_cookie(response, request, token)
        # The page holds this visitor's form token: never kept by a shared cache.
        response.headers["cache-control"] = "private, no-store"
        return response

    # --- handlers --------------------------------------------------------------------------------------------------

    def _trial(self, request: Request) -> Trial | None:
        raw = request.path_params["nct_id"]
        return find_trial(database=self.database, nct_id=nct_id(raw)) if is_nct_id(raw) else None

    def _page(self, request: Request, trial: Trial, form: ContactForm, *, status_code: int = 200) -> Response:
        context = {"trial": trial, "field_ids": FIELD_IDS, **self._context(request, trial, form)}
        response = self.renderer.render(request, "contact.html", context, status_code=status_code)
        return self.with_csrf_cookie(request, response)

    def page(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return not_found(self.renderer, request)
        values = {name: "" for name in FIELDS}
        values.update(site=NEAREST, contact_language=language_of(request))
        return self._page(request, trial, ContactForm(values, sites=routable_sites(trial, None)))

    async def submit(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return not_found(self.renderer, request)
        empty = {name: "" for name in FIELDS} | {"site": NEAREST, "contact_language": language_of(request)}
        try:
            fields = await read_form(request)
        except FormTooLarge:
            form = ContactForm(
                empty,
                notice=Message(
                    N_(
                        "Your request was larger than we accept, so it was not sent. Please keep your message under 2,000 characters and try again."
                    )
                ),
            )
            return self._page(request, trial, form, status_code=413)
        except FormUnreadable:
            form = ContactForm(
                empty, notice=Message(N_("We could not read your request. Please fill in the form again."))
            )
            return self._page(request, trial, form, status_code=400)
        values = {name: fields.get(name, "")[:20_000] for name in FIELDS}
        values["site"] = values["site"] or NEAREST
        form = ContactForm(values)

        if not self.per_client.hit(client_key(request)):
            form.notice = Message(
                N_(
                    "Too many requests have come from your connection. Please wait a few minutes and try again; what you typed is still here."
                )
            )
            return self._page(request, trial, self._with_sites(trial, form), status_code=429)
        if not csrf_ok(request, fields) or not _SUBMISSION.match(fields.get("submission", "")):
            form.notice = Message(
                N_(
                    "For your safety this form had expired, so nothing was sent. Please check your details and send the form again."
                )
            )
            return self._page(request, trial, self._with_sites(trial, form), status_code=403)
        if not self.services.can_email_links(request):
            form.notice = Message(CANNOT_EMAIL)
            return self._page(request, trial, self._with_sites(trial, form), status_code=503)
        if fields.get(HONEYPOT_FIELD):
            # A bot filled the hidden field: it sees the usual confirmation, and nothing is stored or sent.
            log.info("contact form: honeypot filled, request dropped")
            return self.renderer.render(
                request, "contact_sent.html", {"trial": trial, "referral": None, "site_phrase": ""}
            )
        if not self.accepts(trial):
            return self._page(request, trial, self._with_sites(trial, form), status_code=409)

        home, residence_found = self._home(request, values["residence"])
        if fields.get("action") == "find":
            return self._find(request, trial, form, home, residence_found)

        errors = self._errors(values)
        if (
            values["site"] == NEAREST
            and values["residence"]
            and not residence_found
            and not errors_for(errors, "residence")
        ):
            errors.append(FieldError("residence", Message(PROBLEM_MESSAGES[("residence", "not_found")])))
        site_choice = None if values["site"] == NEAREST else values["site"]
        route = choose_route(trial, home=home, site_choice=site_choice, operator_inbox=self.settings.referral_inbox)
        if route is None and site_choice:
            errors.append(FieldError("site", Message(PROBLEM_MESSAGES[("site", "invalid")])))
        if errors:
            form.errors = tuple(sorted(errors, key=lambda error: FIELDS.index(error.field)))
            return self._page(request, trial, self._with_sites(trial, form, home), status_code=400)

        person = contact_request(values)
        now = self.clock()
        repeat_key = referral_actions.repeat_key(
            signer=self.signer, email=person.email, nct_id=trial.nct_id, browser=request.cookies.get(CSRF_COOKIE, "")
        )
        earlier = referral_actions.earlier_request(
            database=self.database, submission=fields["submission"], duplicate_key=repeat_key, now=now
        )
        if earlier is not None:  # the same form, or the same request from a form shown afresh: one referral
            return self._sent_redirect(request, trial, earlier, again=True)
        if route is None:
            return self._page(request, trial, self._with_sites(trial, form, home), status_code=409)
        busy = Message(
            N_(
                "We have received several requests from you recently. Please wait a while before sending another; what you typed is still here."
            )
        )
        if not self.sends_per_client.hit(client_key(request)):
            form.notice = busy
            return self._page(request, trial, self._with_sites(trial, form, home), status_code=429)
        result = referral_actions.send_request(
            database=self.database,
            writer=self.writer,
            trial=trial,
            route=route,
            person=person,
            submission=fields["submission"],
            duplicate_key=repeat_key,
            person_language=language_of(request),
            base_url=self.base_url(request),
            retention_days=self.settings.referral_retention_days,
            now=now,
        )
        if result.outcome == referral_actions.Outcome.BUSY:
            form.notice = busy
            return self._page(request, trial, self._with_sites(trial, form, home), status_code=429)
        assert result.referral is not None
        if result.outcome == referral_actions.Outcome.AGAIN:
            return self._sent_redirect(request, trial, result.referral, again=True)
        response = self._sent_redirect(request, trial, result.referral)
        response.background = BackgroundTask(self.deliver)
        return response

    def _find(self, request, trial, form, home, found) -> Response:
        """Show which site the request would go to, without sending anything (works without JavaScript)."""
        if not form.values["residence"]:
            form.errors = (FieldError("residence", Message(PROBLEM_MESSAGES[("residence", "required")])),)
        elif not found:
            form.errors = (FieldError("residence", Message(PROBLEM_MESSAGES[("residence", "not_found")])),)
        else:
            form.values["site"] = NEAREST
        return self._page(request, trial, self._with_sites(trial, form, home), status_code=400 if form.errors else 200)

    def _with_sites(self, trial: Trial, form: ContactForm, home: GeoPoint | None = None) -> ContactForm:
        form.sites = routable_sites(trial, home)
        choice = None if form.values.get("site") in ("", NEAREST) else form.values["site"]
        form.preview = choose_route(
            trial, home=home, site_choice=choice, operator_inbox=self.settings.referral_inbox, sites=form.sites
        )
        return form

    def _home(self, request: Request, residence: str) -> tuple[GeoPoint | None, bool]:
        if not residence or len(residence) > LIMITS["residence"]:
            return None, False
        places = self.places.find(residence, 1, language=language_of(request))
        return (places[0].point, True) if places else (None, False)

    def _errors(self, values: dict[str, str]) -> list[FieldError]:
        errors = []
        for problem in check_contact_fields(values):
            msgid = PROBLEM_MESSAGES.get((problem.field, problem.code))
            if msgid is None:
                msgid = TOO_LONG if problem.code == "too_long" else INVALID
            errors.append(FieldError(problem.field, Message(msgid, {"max": LIMITS.get(problem.field, 0)})))
        return errors

    def _sent_redirect(
        self, request: Request, trial: Trial, referral: StoredReferral, *, again: bool = False
    ) -> RedirectResponse:
        key = referral_actions.sent_page_key(
            signer=self.signer, referral=referral, browser=request.cookies.get(CSRF_COOKIE, ""), now=self.clock()
        )
        again_part = "&again=1" if again else ""
        return RedirectResponse(
            f"/trials/{trial.nct_id}/contact/sent?ref={referral.public_id}&key={key}{again_part}", status_code=303
        )

    def _sender_of(self, request: Request, referral: StoredReferral) -> bool:
        """Whether this browser sent the request (and within the hour): the sent page's key is its own."""
        return referral_actions.is_sender(
            signer=self.signer,
            key=request.query_params.get("key", ""),
            referral=referral,
            browser=request.cookies.get(CSRF_COOKIE, ""),
            now=self.clock(),
        )

    def deliver(self) -> None:
        deliver_quietly(database=self.database, sender=self.sender, after="a referral")

    # --- after sending ---------------------------------------------------------------------------------------------

    def sent(self, request: Request) -> Response:
        trial = self._trial(request)
        public_id = request.query_params.get("ref", "")
        referral = None
        if trial is not None and 10 <= len(public_id) <= 64:
            referral = find_referral(database=self.database, public_id=public_id)
        if trial is None or referral is None or referral.nct_id != trial.nct_id:
            return not_found(self.renderer, request)
        sender = self._sender_of(request, referral)
        context = {
            "trial": trial,
            "referral": referral,
            "site_place": site_place(trial, referral.site_key),
            "again": sender and request.query_params.get("again") == "1",
            **self._notify_offer(request, trial, referral if sender else None),
        }
        response = self.renderer.render(
            request, "contact_sent.html", context, headers={"cache-control": "private, no-store"}
        )
        return self.with_csrf_cookie(request, response) if context["subscribe"] else response

    def _notify_offer(self, request: Request, trial: Trial, referral: StoredReferral | None) -> dict:
        """ "Would you like to be notified about other trials?": trials like this one; for the browser that sent the
        request, near where the person lives and with their address filled in (nobody else sees either)."""
        if self.subscriptions is None:
            return {"subscribe": None}
        email, place = "", ""
        if referral is not None:
            email = referral.email or ""
            if referral.residence and self._home(request, referral.residence)[1]:
                place = referral.residence
        return self.subscriptions.after_request_box(request, trial, email=email, location=place)

    async def withdraw(self, request: Request) -> Response:
        return await self._link(request, WITHDRAW)

    async def contacted(self, request: Request) -> Response:
        return await self._link(request, CONTACTED)

    async def _link(self, request: Request, purpose: str) -> Response:
        """A link from an email: GET shows a button (mail scanners follow links; only a person presses it), POST acts."""
        fields: dict[str, str] = {}
        if request.method == "POST":
            try:
                fields = await read_form(request)
            except (FormTooLarge, FormUnreadable):
                fields = {}
        token = fields.get("token") or request.query_params.get("token", "")
        context = {"purpose": purpose, "token": token, "state": "confirm", "referral": None, "trial": None}
        opened = referral_actions.open_link(
            signer=self.signer, database=self.database, purpose=purpose, token=token, now=self.clock()
        )
        referral = opened.referral
        if referral is None:  # expired, invalid, or gone (purged after the retention period)
            return self._link_page(request, context | {"state": opened.state.value}, REFUSED_LINKS[opened.state])
        context.update(referral=referral, trial=find_trial(database=self.database, nct_id=referral.nct_id))
        if referral.withdrawn_at:
            return self._link_page(request, context | {"state": "withdrawn"}, 200)
        if request.method == "POST":
            if not csrf_ok(request, fields):
                return self._link_page(request, context | {"state": "confirm", "expired_form": True}, 403)
            if purpose == WITHDRAW:
                referral_actions.withdraw(
                    database=self.database,
                    referral_id=referral.id,
                    writer=self.writer,
                    mail=self.sender,
                    now=self.clock(),
                )
                self.deliver()
            else:
                referral_actions.mark_contacted(database=self.database, referral_id=referral.id, now=self.clock())
            return self._link_page(request, context | {"state": "done"}, 200)
        if purpose == CONTACTED and referral.contacted_at:
            return self._link_page(request, context | {"state": "done"}, 200)
        return self._link_page(request, context, 200)

    def _link_page(self, request: Request, context: dict, status_code: int) -> Response:
        token, _ = csrf_token(request)
        response = self.renderer.render(
            request,
            "referral_link.html",
            {**context, "csrf_token": token, "csrf_field": CSRF_FIELD},
            status_code=status_code,
        )
        return self.with_csrf_cookie(request, response)


def errors_for(errors: list[FieldError], name: str) -> bool:
    return any(error.field == name for error in errors)

