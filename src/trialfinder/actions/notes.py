"""Notes and share links: add, edit, delete; share through a link and a passcode; open a link; purge what is unused.

Secrets: the owner's key (in their cookie), a share link's token (in its URL) and its passcode are random and never
stored: the database holds the SHA-256 of the key and the token (both 256 or more bits of randomness, so a fast hash
is enough) and an argon2id hash of the passcode (short enough to type, so it needs a slow hash). Each action is one
transaction and logs ids and counts, never a note's text, a quote, a key, a token or a passcode.

Signed here too: the emailed link to one's notes (`email_owner_link`, opened by `open_owner_link`) and the cookie
that keeps a share link open for a recipient who gave its passcode (`share_session`, `has_share_session`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from trialfinder.actions.email_writer import EmailWriter
from trialfinder.actions.outbox import deliver_quietly, stamp
from trialfinder.actions.signed_links import OpenedToken, TokenState, open_token
from trialfinder.domain.notes import Anchor
from trialfinder.notifications.email import EmailSender, message_text
from trialfinder.signing import Signer
from trialfinder.storage.database import Database
from trialfinder.storage.notes import NoteStore, StoredNote, StoredShareLink
from trialfinder.storage.outbox import Outbox

log = logging.getLogger("trialfinder.notes")

SHARE_VALID_FOR = timedelta(days=7)
OWNER_LINK_VALID_FOR = timedelta(days=1)  # the emailed link to one's notes, usable once
OWNER_LINK = "notes_owner"  # the purpose its token is signed for (`open_owner_link` checks it)
SHARE_SESSION = timedelta(hours=2)  # how long a recipient who gave the right passcode sees the notes without it
SHARE_VIEW = "share_view"  # the purpose of that session's cookie
MAX_ATTEMPTS = 5  # wrong passcodes before a link is locked
MAX_NOTES_PER_TRIAL = 200
MAX_LINKS_PER_TRIAL = 20
TOUCH_EVERY = timedelta(days=1)  # how stale `last_used_at` may get before a view writes it again
# Passcodes: three groups of four from 31 characters that cannot be mistaken for one another (no 0/O, 1/I/L):
# about 59 bits, and with five tries per link, guessing is hopeless even for someone who holds the link.
PASSCODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")  # secrets.token_urlsafe(24): 192 bits
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16): 128 bits

# argon2-cffi's defaults are RFC 9106's second recommended option (argon2id, 64 MiB, 3 passes).
_HASHER = PasswordHasher()


class NotesError(Exception):
    """An action on notes cannot be done; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --- secrets --------------------------------------------------------------------------------------------------------


def new_owner_key() -> str:
    return secrets.token_urlsafe(32)


def is_owner_key(value: str | None) -> bool:
    return bool(value and _KEY.match(value))


def is_share_token(value: str | None) -> bool:
    return bool(value and _TOKEN.match(value))


def is_note_id(value: str | None) -> bool:
    return bool(value and _ID.match(value))


def owner_hash(owner_key: str) -> str:
    return hashlib.sha256(b"notes-owner\x1f" + owner_key.encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(b"share-link\x1f" + token.encode()).hexdigest()


def new_passcode() -> str:
    groups = ("".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def clean_passcode(typed: str) -> str:
    """What a person typed, as the passcode is written: capitals, groups of four joined by dashes."""
    letters = "".join(char for char in typed.upper() if char.isalnum())[:24]
    return "-".join(letters[index : index + 4] for index in range(0, len(letters), 4))


# --- notes ----------------------------------------------------------------------------------------------------------


def add_note(*, database: Database, owner: str, nct_id: str, anchor: Anchor, body: str, now: datetime) -> StoredNote:
    """Store a note (owner: the owner's hash). NotesError("too_many") past MAX_NOTES_PER_TRIAL."""
    when = stamp(now)
    note = StoredNote(
        id=secrets.token_urlsafe(16),
        owner_hash=owner,
        nct_id=nct_id,
        section=anchor.section,
        quote=anchor.quote,
        prefix=anchor.prefix,
        suffix=anchor.suffix,
        position=anchor.position,
        body=body,
        created_at=when,
        updated_at=when,
        last_used_at=when,
    )
    with database.connect() as conn, conn.transaction():
        store = NoteStore(conn)
        if store.count_for_trial(owner, nct_id) >= MAX_NOTES_PER_TRIAL:
            raise NotesError("too_many")
        store.add(note)
    log.info("note %s added trial=%s section=%s", note.id, nct_id, anchor.section)
    return note


def edit_note(*, database: Database, owner: str, note_id: str, body: str, now: datetime) -> bool:
    with database.connect() as conn, conn.transaction():
        changed = NoteStore(conn).update_body(owner, note_id, body, stamp(now))
    log.info("note %s edited=%s", note_id, changed)
    return changed


def delete_note(*, database: Database, owner: str, note_id: str) -> bool:
    with database.connect() as conn, conn.transaction():
        deleted = NoteStore(conn).delete(owner, note_id)
    log.info("note %s deleted=%s", note_id, deleted)
    return deleted


def delete_all(*, database: Database, owner: str) -> tuple[int, int]:
    """Delete all of an owner's notes and share links; (notes, links) deleted."""
    with database.connect() as conn, conn.transaction():
        notes, links = NoteStore(conn).delete_owner(owner)
    log.info("notes of one owner deleted notes=%d links=%d", notes, links)
    return notes, links


def owner_of(*, database: Database, owner_key: str) -> str:
    """The owner (a hash) that a cookie's key stands for."""
    with database.connect() as conn:
        return NoteStore(conn).owner_of_key(owner_hash(owner_key))


def create_owner_link(*, database: Database, owner: str, now: datetime) -> str:
    """A one-time id for an emailed link to the owner's notes (valid OWNER_LINK_VALID_FOR); only its hash is kept."""
    link_id = secrets.token_urlsafe(16)
    with database.connect() as conn, conn.transaction():
        NoteStore(conn).add_owner_link(
            id_hash=token_hash(link_id), owner_hash=owner, now=stamp(now), expires_at=stamp(now + OWNER_LINK_VALID_FOR)
        )
    log.info("notes owner link created")
    return link_id


def join_device(*, database: Database, link_id: str, device_owner: str | None, now: datetime) -> str | None:
    """Use an emailed link: a new key for this device, belonging to the link's owner (None when the link is used,
    expired or unknown). Notes this device already had move to that owner, so nothing is lost."""
    new_key = new_owner_key()
    with database.connect() as conn, conn.transaction():
        store = NoteStore(conn)
        owner = store.use_owner_link(token_hash(link_id), now=stamp(now))
        if owner is None:
            moved = 0
        else:
            store.add_device(key_hash=owner_hash(new_key), owner_hash=owner, now=stamp(now))
            moved = store.reassign(device_owner, owner) if device_owner and device_owner != owner else 0
    log.info("notes owner link used=%s moved=%d", owner is not None, moved)
    return new_key if owner is not None else None


def notes_seen(*, database: Database, owner: str, nct_id: str, notes: list[StoredNote], now: datetime) -> None:
    """The owner saw their `notes` on a trial: they are in use (the retention purge counts from it). Written at most
    once every TOUCH_EVERY, not on every view."""
    if not any(note.last_used_at < stamp(now - TOUCH_EVERY) for note in notes):
        return
    with database.connect() as conn, conn.transaction():
        NoteStore(conn).touch(owner, nct_id, now=stamp(now), older_than=stamp(now - TOUCH_EVERY))


# --- share links ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewShareLink:
    link: StoredShareLink
    token: str  # for the URL: shown once, never stored
    passcode: str  # shown once, never stored
    notes: int


def create_share_link(*, database: Database, owner: str, nct_id: str, now: datetime) -> NewShareLink:
    """A link to the owner's current notes on a trial (those notes: notes added later are not shared through it).
    NotesError("nothing_to_share") without notes; NotesError("too_many_links") past MAX_LINKS_PER_TRIAL."""
    token, passcode = secrets.token_urlsafe(24), new_passcode()
    link = StoredShareLink(
        id=secrets.token_urlsafe(16),
        owner_hash=owner,
        nct_id=nct_id,
        passcode_hash=_HASHER.hash(passcode),
        failed_attempts=0,
        created_at=stamp(now),
        expires_at=stamp(now + SHARE_VALID_FOR),
        revoked_at=None,
        locked_at=None,
        last_used_at=stamp(now),
    )
    with database.connect() as conn, conn.transaction():
        store = NoteStore(conn)
        note_ids = [note.id for note in store.for_trial(owner, nct_id)]
        if not note_ids:
            raise NotesError("nothing_to_share")
        live = [item for item, _ in store.links_for_trial(owner, nct_id) if link_state(item, now) == LinkState.OPEN]
        if len(live) >= MAX_LINKS_PER_TRIAL:
            raise NotesError("too_many_links")
        store.add_link(link, token_hash=token_hash(token), note_ids=note_ids)
    log.info("share link %s created trial=%s notes=%d", link.id, nct_id, len(note_ids))
    return NewShareLink(link, token, passcode, len(note_ids))


def revoke_share_link(*, database: Database, owner: str, share_id: str, now: datetime) -> bool:
    with database.connect() as conn, conn.transaction():
        revoked = NoteStore(conn).revoke(owner, share_id, stamp(now))
    log.info("share link %s revoked=%s", share_id, revoked)
    return revoked


class LinkState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"
    UNKNOWN = "unknown"  # no such link: never made, mistyped, or purged


def link_state(link: StoredShareLink | None, now: datetime) -> LinkState:
    if link is None:
        return LinkState.UNKNOWN
    if link.revoked_at:
        return LinkState.REVOKED
    if link.locked_at or link.failed_attempts >= MAX_ATTEMPTS:
        return LinkState.LOCKED
    if stamp(now) >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.OPEN


def find_share_link(*, database: Database, token: str) -> StoredShareLink | None:
    if not is_share_token(token):
        return None
    with database.connect() as conn:
        return NoteStore(conn).link_by_token_hash(token_hash(token))


@dataclass(frozen=True, slots=True)
class Attempt:
    state: LinkState  # the link's state after the attempt
    correct: bool
    attempts_left: int
    link: StoredShareLink | None


def try_passcode(*, database: Database, token: str, passcode: str, now: datetime) -> Attempt:
    """Check a passcode for a link. The attempt is counted before the (slow) check, so that the lock after
    MAX_ATTEMPTS wrong passcodes holds however many guesses arrive at once; a right one gives its attempt back."""
    link = find_share_link(database=database, token=token)
    state = link_state(link, now)
    if link is None or state != LinkState.OPEN:
        return Attempt(state, False, 0, link)
    with database.connect() as conn, conn.transaction():
        reserved = NoteStore(conn).reserve_attempt(link.id, limit=MAX_ATTEMPTS)
    if not reserved:
        return Attempt(LinkState.LOCKED, False, 0, link)
    try:
        correct = _HASHER.verify(link.passcode_hash, clean_passcode(passcode))
    except (VerificationError, InvalidHashError):
        correct = False
    with database.connect() as conn, conn.transaction():
        store = NoteStore(conn)
        store.settle_attempt(link.id, correct=correct, limit=MAX_ATTEMPTS, now=stamp(now))
        after = store.link_by_id(link.id)
    state = link_state(after, now)
    left = max(0, MAX_ATTEMPTS - after.failed_attempts) if after else 0
    log.info("share link %s passcode correct=%s state=%s", link.id, correct, state.value)
    return Attempt(state, correct, left, after)


def share_session(*, signer: Signer, link_id: str, now: datetime) -> str:
    """The value of the cookie that opens share link `link_id` without its passcode for SHARE_SESSION (given once
    the right passcode is typed): signed, and good for that link only."""
    return signer.sign(SHARE_VIEW, link_id, expires_at=now + SHARE_SESSION)


def has_share_session(*, signer: Signer, cookie: str, link_id: str, now: datetime) -> bool:
    """Whether `cookie` is a session of share link `link_id` that has not expired."""
    opened = open_token(signer=signer, purpose=SHARE_VIEW, token=cookie, now=now)
    return opened.state == TokenState.OPENED and opened.id == link_id


def shared_notes(*, database: Database, share_id: str, now: datetime) -> list[StoredNote]:
    """The notes a recipient sees through a link (marking the link and its notes as used)."""
    with database.connect() as conn, conn.transaction():
        store = NoteStore(conn)
        store.touch_link(share_id, now=stamp(now), older_than=stamp(now - TOUCH_EVERY))
        return store.shared_notes(share_id)


# --- the emailed link to one's notes --------------------------------------------------------------------------------


def email_owner_link(
    *, database: Database, writer: EmailWriter, owner: str, email: str, language: str, base_url: str, now: datetime
) -> None:
    """Queue an email to `email` with a one-time link that opens the owner's notes on another device (valid
    OWNER_LINK_VALID_FOR). The address is in the outbox only until the email is sent (`deliver_owner_links`)."""
    link_id = create_owner_link(database=database, owner=owner, now=now)
    token = writer.signer.sign(OWNER_LINK, link_id, expires_at=now + OWNER_LINK_VALID_FOR)
    hours = int(OWNER_LINK_VALID_FOR.total_seconds() // 3600)
    outgoing = writer.templates.render(
        "notes_link", language, {"link_url": f"{base_url}/notes/restore?token={token}", "hours": hours}, to=email
    )
    body = message_text(outgoing, sender=writer.sender_address)
    with database.connect() as conn, conn.transaction():
        Outbox(conn).add(
            dedupe_key=f"notes_link:{secrets.token_urlsafe(16)}",
            kind="notes_link",
            recipient=outgoing.to,
            body=body,
            now=stamp(now),
        )
    log.info("notes link email queued")


def open_owner_link(*, signer: Signer, token: str, now: datetime) -> OpenedToken:
    """Open the token of an emailed link to one's notes: OPENED with the link's one-time id, EXPIRED or INVALID.
    Whether the link was used already is known only when it is used (`join_device`)."""
    return open_token(signer=signer, purpose=OWNER_LINK, token=token, now=now)


def deliver_owner_links(*, database: Database, sender: EmailSender) -> None:
    """Send what is due straight after "email me a link" (never raises: the scheduled job tries again), then forget
    the addresses of the links sent."""
    if deliver_quietly(database=database, sender=sender, after="a notes link") is not None:
        forget_sent_addresses(database=database)


def forget_sent_addresses(*, database: Database) -> int:
    """After delivery: the addresses of sent "link to your notes" emails are kept nowhere."""
    with database.connect() as conn, conn.transaction():
        return NoteStore(conn).forget_sent_link_emails()


# --- retention ------------------------------------------------------------------------------------------------------


def purge(*, database: Database, retention_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete notes and share links unused for the retention period; (notes, links) deleted."""
    cutoff = stamp((now or datetime.now(UTC)) - timedelta(days=retention_days))
    with database.connect() as conn, conn.transaction():
        store = NoteStore(conn)
        notes, links = store.purge(unused_since=cutoff)
        store.forget_sent_link_emails()
    log.info("notes purged notes=%d links=%d retention_days=%d", notes, links, retention_days)
    return notes, links
