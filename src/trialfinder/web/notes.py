"""Private notes on a trial's text, and sharing them through a passcode-protected link.

    POST /trials/{nct_id}/notes                     add a note (the selection, or a passage typed without JavaScript)
    GET  /trials/{nct_id}/notes                     the notes and the form on a page of their own (errors come here)
    GET/POST /trials/{nct_id}/notes/{note_id}       edit or delete one note
    POST /trials/{nct_id}/share                     "Send my notes": a link and a passcode, shown once
    POST /trials/{nct_id}/share/{share_id}/revoke   the owner ends a link
    GET/POST /shared/{token}                        the recipient: the passcode, then the text with the notes
    GET  /notes                                     all my notes; email me a link; delete everything
    POST /notes/email-link, GET/POST /notes/restore the emailed one-time link that opens the notes on another device
    POST /notes/delete                              delete all my notes and links

The owner is the random key in the `notes_owner` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS); the database
knows only its hash, and every query names it, so another visitor's note answers 404 like a missing one. A
recipient who gave the right passcode gets a signed cookie for that one link, valid two hours. Nothing here logs
a note, a quote, a key, a token, a passcode or an email address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from trialfinder.actions import notes as actions
from trialfinder.actions.notes import LinkState, NotesError
from trialfinder.actions.signed_links import TokenState
from trialfinder.domain.control_characters import without_typed_control_characters
from trialfinder.domain.email_address import parse_email
from trialfinder.domain.notes import (
    MAX_NOTE,
    MAX_QUOTE,
    SECTIONS,
    Anchor,
    Match,
    Resolution,
    make_anchor,
    note_text_problem,
    resolve,
    section_texts,
)
from trialfinder.domain.trial import Trial
from trialfinder.domain.values import is_nct_id, nct_id
from trialfinder.queries.notes import StoredNote, StoredShareLink, find_note, notes_on_trial, trials_with_notes
from trialfinder.queries.trials import find_trial
from trialfinder.views.i18n import N_, Message
from trialfinder.web.errors import not_found
from trialfinder.web.forms import (
    CSRF_FIELD,
    FieldErrors,
    FormTooLarge,
    FormUnreadable,
    client_key,
    csrf_ok,
    csrf_token,
    email_key,
    read_form,
    set_csrf_cookie,
)
from trialfinder.web.params import FieldError
from trialfinder.web.rendering import language_of
from trialfinder.web.services import CANNOT_EMAIL, FormHandler, Services

OWNER_COOKIE = "notes_owner"
OWNER_MAX_AGE = 365 * 24 * 3600
SHARE_COOKIE = "notes_share"
FORM_LIMIT = 16 * 1024  # a note of 2,000 characters and its quote fit many times over

SECTION_LABELS = {
    "overview": N_("Overview"),
    "procedures": N_("Study procedures"),
    "eligibility": N_("Eligibility"),
    "details": N_("Study details"),
}
FIELD_IDS = {"section": "n-section", "quote": "n-quote", "body": "n-body"}
PROBLEMS = {
    ("quote", "required"): N_("Please select or copy the passage of the trial’s text that your note is about."),
    ("quote", "too_long"): N_("Please choose a shorter passage, at most %(max)s characters."),
    ("quote", "not_found"): N_(
        "We could not find this passage in the trial’s text. Please copy it exactly as it is on the page, or select it."
    ),
    ("body", "required"): N_("Please write your note."),
    ("body", "too_long"): N_("Please shorten your note to at most %(max)s characters."),
    ("body", "control_characters"): N_(
        "Your note contained control characters (invisible characters such as a null byte, usually pasted from "
        "another program), which cannot be saved. We have removed them: please check your note and save it again."
    ),
    ("section", "invalid"): N_("Please choose a part of the page."),
}
NOTICES = {
    "too_many": N_("You have reached the largest number of notes we keep for one trial. Please delete some first."),
    "too_many_links": N_("You have many links that are still valid. Please revoke one before you make another."),
    "nothing_to_share": N_("You have no notes on this trial to send yet."),
    "expired_form": N_("For your safety this form had expired, so nothing was saved. Please try again."),
    "rate_limited": N_("Too many requests have come from your connection. Please wait a few minutes and try again."),
    "unreadable": N_("We could not read what you sent. Please try again."),
}


@dataclass
class NoteForm(FieldErrors):
    values: dict[str, str]
    errors: tuple[FieldError, ...] = ()
    notice: Message | None = None


@dataclass(frozen=True, slots=True)
class NoteView:
    note: StoredNote
    number: int
    resolution: Resolution

    @property
    def state(self) -> str:
        return {Match.EDITED: "edited", Match.CHANGED: "changed"}.get(self.resolution.match, "found")


@dataclass(frozen=True, slots=True)
class LinkView:
    link: StoredShareLink
    state: str
    notes: int


@dataclass
class Segment:
    text: str
    numbers: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()  # notes whose passage ends here (a reference after the mark)


@dataclass
class SectionView:
    name: str
    lines: list[list[Segment]] = field(default_factory=list)


def note_views(notes: list[StoredNote], texts: dict[str, str]) -> list[NoteView]:
    """Notes in page order (section, then place in the text; changed ones last in their section), numbered."""
    resolved = [(note, resolve(anchor_of(note), texts.get(note.section, ""))) for note in notes]
    order = {name: index for index, name in enumerate(SECTIONS)}
    resolved.sort(
        key=lambda item: (
            order.get(item[0].section, 99),
            not item[1].match.found,
            item[1].start,
            item[0].created_at,
            item[0].id,
        )
    )
    return [NoteView(note, number, resolution) for number, (note, resolution) in enumerate(resolved, start=1)]


def anchor_of(note: StoredNote) -> Anchor:
    return Anchor(note.section, note.quote, note.prefix, note.suffix, note.position)


def marked_sections(texts: dict[str, str], views: list[NoteView]) -> list[SectionView]:
    """Each section's text as lines of segments, each segment with the numbers of the notes whose passage covers it:
    the recipient's page marks them without any script (and escapes every piece)."""
    sections = []
    for name in SECTIONS:
        text = texts.get(name, "")
        if not text:
            continue
        spans = [
            (view.resolution.start, view.resolution.end, view.number)
            for view in views
            if view.note.section == name and view.resolution.match.found
        ]
        cuts = sorted(
            {0, len(text), *(start for start, _, _ in spans), *(end for _, end, _ in spans)}
            | {i for i, c in enumerate(text) if c == "\n"}
            | {i + 1 for i, c in enumerate(text) if c == "\n"}
        )
        section = SectionView(name, [[]])
        for low, high in zip(cuts, cuts[1:], strict=False):
            piece = text[low:high]
            if piece == "\n":
                section.lines.append([])
                continue
            if not piece:
                continue
            numbers = tuple(number for start, end, number in spans if start <= low and high <= end)
            ends = tuple(number for _, end, number in spans if end == high)
            section.lines[-1].append(Segment(piece, numbers, ends))
        sections.append(section)
    return sections


class Notes(FormHandler):
    def __init__(self, services: Services):
        super().__init__(services)
        self.writes_per_client = self.rate_limiter("notes.writes_per_client", limit=120, window=600)
        self.passcodes_per_client = self.rate_limiter("notes.passcodes_per_client", limit=10, window=600)
        self.emails_per_client = self.rate_limiter("notes.emails_per_client", limit=3, window=3600)
        self.emails_per_address = self.rate_limiter("notes.emails_per_address", limit=3, window=24 * 3600)

    # --- who is asking ----------------------------------------------------------------------------------------------

    def owner(self, request: Request) -> str | None:
        key = request.cookies.get(OWNER_COOKIE)
        if not actions.is_owner_key(key):
            return None
        return actions.owner_of(database=self.database, owner_key=key)

    def _owner_or_new(self, request: Request) -> tuple[str, str | None]:
        """The owner, and a new key to set when the visitor had none."""
        owner = self.owner(request)
        if owner is not None:
            return owner, None
        key = actions.new_owner_key()
        return actions.owner_hash(key), key

    @staticmethod
    def set_owner_cookie(response: Response, request: Request, key: str) -> None:
        response.set_cookie(
            OWNER_COOKIE,
            key,
            max_age=OWNER_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def _trial(self, request: Request) -> Trial | None:
        raw = request.path_params["nct_id"]
        return find_trial(database=self.database, nct_id=nct_id(raw)) if is_nct_id(raw) else None

    def _private(self, request: Request, response: Response) -> Response:
        token, new = csrf_token(request)
        if new:
            set_csrf_cookie(response, request, token)
        response.headers["cache-control"] = "private, no-store"
        return response

    # --- the trial page's part --------------------------------------------------------------------------------------

    def panel(self, request: Request, trial: Trial, form: NoteForm | None = None) -> dict:
        """What `_notes.html` needs on the trial page (and on the notes page)."""
        owner = self.owner(request)
        views: list[NoteView] = []
        links: list[LinkView] = []
        now = self.clock()
        if owner is not None:
            notes, stored_links = notes_on_trial(database=self.database, owner=owner, nct_id=trial.nct_id)
            if notes:
                views = note_views(notes, section_texts(trial))
                actions.notes_seen(database=self.database, owner=owner, nct_id=trial.nct_id, notes=notes, now=now)
            links = [LinkView(link, actions.link_state(link, now).value, count) for link, count in stored_links]
        token, _ = csrf_token(request)
        return {
            "notes": views,
            "share_links": links,
            "note_form": form or NoteForm({"section": "", "quote": "", "body": "", "prefix": "", "suffix": ""}),
            "note_fields": FIELD_IDS,
            "note_sections": [(name, SECTION_LABELS[name]) for name in SECTIONS],
            "note_limits": {"quote": MAX_QUOTE, "body": MAX_NOTE},
            "notes_csrf": token,
        }

    # --- adding, editing, deleting ----------------------------------------------------------------------------------

    async def _fields(self, request: Request) -> tuple[dict[str, str] | None, str | None]:
        """The posted fields, or the notice to show instead (unreadable, rate limited, expired form)."""
        try:
            fields = await read_form(request, limit=FORM_LIMIT)
        except (FormTooLarge, FormUnreadable):
            return None, "unreadable"
        if not self.writes_per_client.hit(client_key(request)):
            return None, "rate_limited"
        if not csrf_ok(request, fields):
            return None, "expired_form"
        return fields, None

    def notes_page(self, request: Request, trial: Trial, form: NoteForm | None = None, status_code: int = 200):
        context = {"trial": trial, **self.panel(request, trial, form)}
        return self._private(request, self.renderer.render(request, "notes.html", context, status_code=status_code))

    def page(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return not_found(self.renderer, request)
        return self.notes_page(request, trial)

    async def add(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return not_found(self.renderer, request)
        fields, notice = await self._fields(request)
        blank = {"section": "", "quote": "", "body": "", "prefix": "", "suffix": ""}
        if fields is None:
            status = {"unreadable": 400, "rate_limited": 429, "expired_form": 403}[notice]
            return self.notes_page(request, trial, NoteForm(blank, notice=Message(NOTICES[notice])), status)
        values = {name: fields.get(name, "")[: MAX_NOTE * 2] for name in blank}
        form = NoteForm(values)
        errors = []
        section = values["section"] or None
        if section is not None and section not in SECTIONS:
            errors.append(FieldError("section", Message(PROBLEMS[("section", "invalid")])))
            section = None
        anchor = None
        if not values["quote"].strip():
            errors.append(FieldError("quote", Message(PROBLEMS[("quote", "required")])))
        elif len(values["quote"]) > MAX_QUOTE:
            errors.append(FieldError("quote", Message(PROBLEMS[("quote", "too_long")], {"max": MAX_QUOTE})))
        else:
            anchor = make_anchor(
                section_texts(trial),
                section=section,
                quote=values["quote"],
                prefix=values["prefix"][-200:],
                suffix=values["suffix"][:200],
            )
            if anchor is None:
                errors.append(FieldError("quote", Message(PROBLEMS[("quote", "not_found")])))
        problem = note_text_problem(values["body"])
        if problem:
            errors.append(FieldError("body", Message(PROBLEMS[("body", problem)], {"max": MAX_NOTE})))
            if problem == "control_characters":
                values["body"] = without_typed_control_characters(values["body"])  # offered back without them
        if errors or anchor is None:
            form.errors = tuple(errors)
            return self.notes_page(request, trial, form, 400)
        owner, new_key = self._owner_or_new(request)
        try:
            note = actions.add_note(
                database=self.database,
                owner=owner,
                nct_id=trial.nct_id,
                anchor=anchor,
                body=values["body"].strip(),
                now=self.clock(),
            )
        except NotesError as error:
            form.notice = Message(NOTICES[error.code])
            return self.notes_page(request, trial, form, 409)
        response = RedirectResponse(f"/trials/{trial.nct_id}#note-{note.id}", status_code=303)
        if new_key:
            self.set_owner_cookie(response, request, new_key)
        return response

    def _note(self, request: Request, trial: Trial) -> StoredNote | None:
        owner, note_id = self.owner(request), request.path_params["note_id"]
        if owner is None or not actions.is_note_id(note_id):
            return None
        return find_note(database=self.database, owner=owner, note_id=note_id)

    def _edit_page(self, request, trial, note, form: NoteForm | None = None, status_code: int = 200) -> Response:
        views = note_views([note], section_texts(trial))
        context = {
            "trial": trial,
            "view": views[0],
            "note_form": form or NoteForm({"body": note.body}),
            "note_fields": FIELD_IDS,
            "note_limits": {"quote": MAX_QUOTE, "body": MAX_NOTE},
            "section_labels": SECTION_LABELS,
            "notes_csrf": csrf_token(request)[0],
        }
        return self._private(
            request, self.renderer.render(request, "notes_edit.html", context, status_code=status_code)
        )

    def edit_page(self, request: Request) -> Response:
        trial = self._trial(request)
        note = self._note(request, trial) if trial else None
        if trial is None or note is None:  # not yours and not there answer alike
            return not_found(self.renderer, request)
        return self._edit_page(request, trial, note)

    async def change(self, request: Request) -> Response:
        trial = self._trial(request)
        note = self._note(request, trial) if trial else None
        if trial is None or note is None:
            return not_found(self.renderer, request)
        fields, notice = await self._fields(request)
        if fields is None:
            status = {"unreadable": 400, "rate_limited": 429, "expired_form": 403}[notice]
            return self._edit_page(
                request, trial, note, NoteForm({"body": note.body}, notice=Message(NOTICES[notice])), status
            )
        if fields.get("action") == "delete":
            actions.delete_note(database=self.database, owner=note.owner_hash, note_id=note.id)
            return RedirectResponse(f"/trials/{trial.nct_id}#notes", status_code=303)
        body = fields.get("body", "")[: MAX_NOTE * 2]
        problem = note_text_problem(body)
        if problem:
            if problem == "control_characters":
                body = without_typed_control_characters(body)  # offered back without them
            form = NoteForm(
                {"body": body}, errors=(FieldError("body", Message(PROBLEMS[("body", problem)], {"max": MAX_NOTE})),)
            )
            return self._edit_page(request, trial, note, form, 400)
        actions.edit_note(
            database=self.database, owner=note.owner_hash, note_id=note.id, body=body.strip(), now=self.clock()
        )
        return RedirectResponse(f"/trials/{trial.nct_id}#note-{note.id}", status_code=303)

    # --- sharing ----------------------------------------------------------------------------------------------------

    async def share(self, request: Request) -> Response:
        trial = self._trial(request)
        if trial is None:
            return not_found(self.renderer, request)
        fields, notice = await self._fields(request)
        owner = self.owner(request)
        if fields is not None and owner is None:
            notice = "nothing_to_share"
        if notice is None:
            try:
                created = actions.create_share_link(
                    database=self.database, owner=owner, nct_id=trial.nct_id, now=self.clock()
                )
            except NotesError as error:
                notice = error.code
        if notice is not None:
            status = {"unreadable": 400, "rate_limited": 429, "expired_form": 403}.get(notice, 409)
            form = NoteForm(
                {"section": "", "quote": "", "body": "", "prefix": "", "suffix": ""}, notice=Message(NOTICES[notice])
            )
            return self.notes_page(request, trial, form, status)
        context = {
            "trial": trial,
            "share_url": f"{self.base_url(request, for_email=False)}/shared/{created.token}",
            "passcode": created.passcode,
            "note_count": created.notes,
            "expires": created.link.expires_at[:10],
        }
        return self._private(request, self.renderer.render(request, "share_created.html", context))

    async def revoke(self, request: Request) -> Response:
        trial = self._trial(request)
        owner = self.owner(request)
        share_id = request.path_params["share_id"]
        if trial is None or owner is None or not actions.is_note_id(share_id):
            return not_found(self.renderer, request)
        fields, notice = await self._fields(request)
        if fields is None:
            status = {"unreadable": 400, "rate_limited": 429, "expired_form": 403}[notice]
            form = NoteForm(
                {"section": "", "quote": "", "body": "", "prefix": "", "suffix": ""}, notice=Message(NOTICES[notice])
            )
            return self.notes_page(request, trial, form, status)
        if not actions.revoke_share_link(database=self.database, owner=owner, share_id=share_id, now=self.clock()):
            return not_found(self.renderer, request)
        return RedirectResponse(f"/trials/{trial.nct_id}#share-links", status_code=303)

    # --- the recipient ----------------------------------------------------------------------------------------------

    async def shared(self, request: Request) -> Response:
        token = request.path_params["token"]
        now = self.clock()
        link = actions.find_share_link(database=self.database, token=token)
        state = actions.link_state(link, now)
        if state != LinkState.OPEN:
            return self._share_state(request, state)
        if request.method == "GET":
            if self._has_session(request, link, now):
                return self._share_view(request, link, now)
            return self._passcode_page(request, link)
        try:
            fields = await read_form(request, limit=FORM_LIMIT)
        except (FormTooLarge, FormUnreadable):
            return self._passcode_page(request, link, Message(NOTICES["unreadable"]), 400)
        if not self.passcodes_per_client.hit(client_key(request)):
            return self._passcode_page(request, link, Message(NOTICES["rate_limited"]), 429)
        if not csrf_ok(request, fields):
            return self._passcode_page(request, link, Message(NOTICES["expired_form"]), 403)
        attempt = actions.try_passcode(
            database=self.database, token=token, passcode=fields.get("passcode", "")[:64], now=now
        )
        if attempt.correct:
            response = RedirectResponse(f"/shared/{token}", status_code=303)
            session = actions.share_session(signer=self.signer, link_id=link.id, now=now)
            response.set_cookie(
                SHARE_COOKIE,
                session,
                max_age=int(actions.SHARE_SESSION.total_seconds()),
                path=f"/shared/{token}",
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
            return response
        if attempt.state != LinkState.OPEN:
            return self._share_state(request, attempt.state)
        message = Message(
            N_("This passcode is not right. You can try %(left)s more times before the link is locked."),
            {"left": attempt.attempts_left},
        )
        return self._passcode_page(request, link, message, 400)

    def _has_session(self, request: Request, link: StoredShareLink, now: datetime) -> bool:
        return actions.has_share_session(
            signer=self.signer, cookie=request.cookies.get(SHARE_COOKIE, ""), link_id=link.id, now=now
        )

    def _passcode_page(self, request, link: StoredShareLink, error: Message | None = None, status_code: int = 200):
        context = {
            "error": error,
            "action": request.url.path,
            "csrf_token": csrf_token(request)[0],
            "csrf_field": CSRF_FIELD,
            "expires": link.expires_at[:10],
        }
        response = self.renderer.render(request, "share_open.html", context, status_code=status_code)
        response.headers["x-robots-tag"] = "noindex"
        return self._private(request, response)

    def _share_state(self, request: Request, state: LinkState) -> Response:
        status = {LinkState.UNKNOWN: 404, LinkState.EXPIRED: 410, LinkState.REVOKED: 410, LinkState.LOCKED: 403}[state]
        response = self.renderer.render(request, "share_state.html", {"state": state.value}, status_code=status)
        response.headers["cache-control"] = "private, no-store"
        response.headers["x-robots-tag"] = "noindex"
        return response

    def _share_view(self, request: Request, link: StoredShareLink, now: datetime) -> Response:
        trial = find_trial(database=self.database, nct_id=nct_id(link.nct_id))
        if trial is None:
            return self._share_state(request, LinkState.UNKNOWN)
        notes = actions.shared_notes(database=self.database, share_id=link.id, now=now)
        texts = section_texts(trial)
        views = note_views(notes, texts)
        context = {
            "trial": trial,
            "notes": views,
            "sections": marked_sections(texts, views),
            "section_labels": SECTION_LABELS,
            "expires": link.expires_at[:10],
        }
        response = self.renderer.render(request, "share_view.html", context)
        response.headers["cache-control"] = "private, no-store"
        response.headers["x-robots-tag"] = "noindex"
        return response

    # --- all my notes, other devices, deleting everything -----------------------------------------------------------

    def _mine(
        self,
        request: Request,
        *,
        notice: Message | None = None,
        sent: bool = False,
        email: str = "",
        status_code: int = 200,
        email_error: Message | None = None,
    ):
        owner = self.owner(request)
        trials = []
        if owner is not None:
            for item_nct, count in trials_with_notes(database=self.database, owner=owner):
                found = find_trial(database=self.database, nct_id=nct_id(item_nct))
                trials.append({"nct_id": item_nct, "title": found.brief_title if found else item_nct, "count": count})
        context = {
            "trials": trials,
            "notice": notice,
            "sent": sent,
            "email": email,
            "email_error": email_error,
            "csrf_token": csrf_token(request)[0],
            "csrf_field": CSRF_FIELD,
            "retention_days": self.settings.notes_retention_days,
        }
        return self._private(
            request, self.renderer.render(request, "notes_mine.html", context, status_code=status_code)
        )

    def mine(self, request: Request) -> Response:
        deleted = request.query_params.get("deleted") == "1"
        return self._mine(request, notice=Message(N_("Your notes and links have been deleted.")) if deleted else None)

    async def email_link(self, request: Request) -> Response:
        fields, notice = await self._fields(request)
        if fields is None:
            status = {"unreadable": 400, "rate_limited": 429, "expired_form": 403}[notice]
            return self._mine(request, notice=Message(NOTICES[notice]), status_code=status)
        owner = self.owner(request)
        email = fields.get("email", "")[:300].strip()
        if owner is None:
            return self._mine(request, notice=Message(NOTICES["nothing_to_share"]), status_code=409)
        if not self.services.can_email_links(request):
            return self._mine(request, notice=Message(CANNOT_EMAIL), email=email, status_code=503)
        address = parse_email(email)
        if address is None:
            return self._mine(
                request,
                email=email,
                email_error=Message(N_("Please enter an email address such as name@example.com.")),
                status_code=400,
            )
        if not self.emails_per_client.hit(client_key(request)) or not self.emails_per_address.hit(email_key(email)):
            return self._mine(request, notice=Message(NOTICES["rate_limited"]), email=email, status_code=429)
        actions.email_owner_link(
            database=self.database,
            writer=self.writer,
            owner=owner,
            email=str(address),
            language=language_of(request),
            base_url=self.base_url(request),
            now=self.clock(),
        )
        response = self._mine(request, sent=True)
        response.background = BackgroundTask(
            actions.deliver_owner_links, database=self.database, sender=self.sender
        )
        return response

    async def restore(self, request: Request) -> Response:
        """The emailed link: GET shows a button (mail scanners follow links), POST joins this device."""
        fields: dict[str, str] = {}
        if request.method == "POST":
            try:
                fields = await read_form(request, limit=FORM_LIMIT)
            except (FormTooLarge, FormUnreadable):
                fields = {}
        token = fields.get("token") or request.query_params.get("token", "")
        context = {"token": token, "state": "confirm", "csrf_token": csrf_token(request)[0], "csrf_field": CSRF_FIELD}
        now = self.clock()
        opened = actions.open_owner_link(signer=self.signer, token=token, now=now)
        if opened.state == TokenState.EXPIRED:
            return self._restore_page(request, context | {"state": "expired"}, 410)
        if opened.state != TokenState.OPENED or opened.id is None:
            return self._restore_page(request, context | {"state": "invalid"}, 400)
        link_id = opened.id
        if request.method == "GET":
            return self._restore_page(request, context, 200)
        if not csrf_ok(request, fields):
            return self._restore_page(request, context | {"expired_form": True}, 403)
        key = actions.join_device(database=self.database, link_id=link_id, device_owner=self.owner(request), now=now)
        if key is None:
            return self._restore_page(request, context | {"state": "used"}, 410)
        response = RedirectResponse("/notes", status_code=303)
        self.set_owner_cookie(response, request, key)
        return response

    def _restore_page(self, request: Request, context: dict, status_code: int) -> Response:
        context.setdefault("expired_form", False)
        return self._private(
            request, self.renderer.render(request, "notes_restore.html", context, status_code=status_code)
        )

    async def delete_all(self, request: Request) -> Response:
        fields, notice = await self._fields(request)
        if fields is None:
            status = {"unreadable": 400, "rate_limited": 429, "expired_form": 403}[notice]
            return self._mine(request, notice=Message(NOTICES[notice]), status_code=status)
        owner = self.owner(request)
        if owner is not None:
            actions.delete_all(database=self.database, owner=owner)
        response = RedirectResponse("/notes?deleted=1", status_code=303)
        response.delete_cookie(OWNER_COOKIE, path="/")
        return response
