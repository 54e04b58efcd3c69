"""Notes and share links in the database (tables `notes`, `share_links`, `share_link_notes`; migration 5).

Every read and write of a note names its owner (the SHA-256 of the key in their cookie): there is no query that
finds a note by id alone, so another visitor's note answers exactly like a missing one. Share links are found by the
SHA-256 of their token; their passcode is kept only as an argon2id hash. Note text and quotes are personal health
data: this module never logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.storage.database import Connection

_NOTE_COLUMNS = (
    "id, owner_hash, nct_id, section, quote, prefix, suffix, position, body, created_at, updated_at, last_used_at"
)
_LINK_COLUMNS = (
    "id, owner_hash, nct_id, passcode_hash, failed_attempts, created_at, expires_at, revoked_at, locked_at,"
    " last_used_at"
)


@dataclass(frozen=True, slots=True)
class StoredNote:
    id: str
    owner_hash: str
    nct_id: str
    section: str
    quote: str
    prefix: str
    suffix: str
    position: int | None
    body: str
    created_at: str
    updated_at: str
    last_used_at: str


@dataclass(frozen=True, slots=True)
class StoredShareLink:
    id: str
    owner_hash: str
    nct_id: str
    passcode_hash: str
    failed_attempts: int
    created_at: str
    expires_at: str
    revoked_at: str | None
    locked_at: str | None
    last_used_at: str


class NoteStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    # --- notes ------------------------------------------------------------------------------------------------------

    def add(self, note: StoredNote) -> None:
        self.conn.execute(
            f"INSERT INTO notes ({_NOTE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            (
                note.id,
                note.owner_hash,
                note.nct_id,
                note.section,
                note.quote,
                note.prefix,
                note.suffix,
                note.position,
                note.body,
                note.created_at,
                note.updated_at,
                note.last_used_at,
            ),
        )

    def get(self, owner_hash: str, note_id: str) -> StoredNote | None:
        row = self.conn.fetchone(
            f"SELECT {_NOTE_COLUMNS} FROM notes WHERE owner_hash = $1 AND id = $2", (owner_hash, note_id)
        )
        return StoredNote(*row) if row else None

    def for_trial(self, owner_hash: str, nct_id: str) -> list[StoredNote]:
        rows = self.conn.fetchall(
            f"SELECT {_NOTE_COLUMNS} FROM notes WHERE owner_hash = $1 AND nct_id = $2 ORDER BY created_at, id",
            (owner_hash, nct_id),
        )
        return [StoredNote(*row) for row in rows]

    def count_for_trial(self, owner_hash: str, nct_id: str) -> int:
        return int(
            self.conn.scalar("SELECT COUNT(*) FROM notes WHERE owner_hash = $1 AND nct_id = $2", (owner_hash, nct_id))
            or 0
        )

    def trials(self, owner_hash: str) -> list[tuple[str, int]]:
        """The trials this owner has notes on, with how many, most recently used first."""
        rows = self.conn.fetchall(
            "SELECT nct_id, COUNT(*), MAX(last_used_at) FROM notes WHERE owner_hash = $1 GROUP BY nct_id"
            " ORDER BY MAX(last_used_at) DESC, nct_id",
            (owner_hash,),
        )
        return [(nct_id, int(count)) for nct_id, count, _ in rows]

    def update_body(self, owner_hash: str, note_id: str, body: str, now: str) -> bool:
        cursor = self.conn.execute(
            "UPDATE notes SET body = $1, updated_at = $2, last_used_at = $3 WHERE owner_hash = $4 AND id = $5",
            (body, now, now, owner_hash, note_id),
        )
        return cursor.rowcount == 1

    def delete(self, owner_hash: str, note_id: str) -> bool:
        self.conn.execute(
            "DELETE FROM share_link_notes WHERE note_id IN (SELECT id FROM notes WHERE owner_hash = $1 AND id = $2)",
            (owner_hash, note_id),
        )
        return (
            self.conn.execute("DELETE FROM notes WHERE owner_hash = $1 AND id = $2", (owner_hash, note_id)).rowcount
            == 1
        )

    def delete_owner(self, owner_hash: str) -> tuple[int, int]:
        """Delete every note and share link of an owner; (notes, links) deleted."""
        self.conn.execute(
            "DELETE FROM share_link_notes WHERE share_id IN (SELECT id FROM share_links WHERE owner_hash = $1)",
            (owner_hash,),
        )
        links = self.conn.execute("DELETE FROM share_links WHERE owner_hash = $1", (owner_hash,)).rowcount
        self.conn.execute(
            "DELETE FROM share_link_notes WHERE note_id IN (SELECT id FROM notes WHERE owner_hash = $1)", (owner_hash,)
        )
        notes = self.conn.execute("DELETE FROM notes WHERE owner_hash = $1", (owner_hash,)).rowcount
        self.conn.execute("DELETE FROM note_devices WHERE owner_hash = $1", (owner_hash,))
        self.conn.execute("DELETE FROM note_owner_links WHERE owner_hash = $1", (owner_hash,))
        return notes, links

    def reassign(self, from_hash: str, to_hash: str) -> int:
        """Give one owner's notes and links to another (a device joins the notes reached through an emailed link)."""
        self.conn.execute("UPDATE share_links SET owner_hash = $1 WHERE owner_hash = $2", (to_hash, from_hash))
        self.conn.execute("UPDATE note_devices SET owner_hash = $1 WHERE owner_hash = $2", (to_hash, from_hash))
        return self.conn.execute(
            "UPDATE notes SET owner_hash = $1 WHERE owner_hash = $2", (to_hash, from_hash)
        ).rowcount

    def touch(self, owner_hash: str, nct_id: str, *, now: str, older_than: str) -> int:
        """Mark the owner's notes on a trial as used (at most once a day: a page view should not always write)."""
        return self.conn.execute(
            "UPDATE notes SET last_used_at = $1 WHERE owner_hash = $2 AND nct_id = $3 AND last_used_at < $4",
            (now, owner_hash, nct_id, older_than),
        ).rowcount

    # --- share links ------------------------------------------------------------------------------------------------

    def add_link(self, link: StoredShareLink, *, token_hash: str, note_ids: list[str]) -> None:
        self.conn.execute(
            f"INSERT INTO share_links (token_hash, {_LINK_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            (
                token_hash,
                link.id,
                link.owner_hash,
                link.nct_id,
                link.passcode_hash,
                link.failed_attempts,
                link.created_at,
                link.expires_at,
                link.revoked_at,
                link.locked_at,
                link.last_used_at,
            ),
        )
        self.conn.executemany(
            "INSERT INTO share_link_notes (share_id, note_id) VALUES ($1, $2)",
            [(link.id, note_id) for note_id in note_ids],
        )

    def link_by_token_hash(self, token_hash: str) -> StoredShareLink | None:
        row = self.conn.fetchone(f"SELECT {_LINK_COLUMNS} FROM share_links WHERE token_hash = $1", (token_hash,))
        return StoredShareLink(*row) if row else None

    def link_by_id(self, share_id: str) -> StoredShareLink | None:
        row = self.conn.fetchone(f"SELECT {_LINK_COLUMNS} FROM share_links WHERE id = $1", (share_id,))
        return StoredShareLink(*row) if row else None

    def links_for_trial(self, owner_hash: str, nct_id: str) -> list[tuple[StoredShareLink, int]]:
        """The owner's links for a trial, newest first, each with how many notes it still shows."""
        rows = self.conn.fetchall(
            f"SELECT {', '.join('l.' + c.strip() for c in _LINK_COLUMNS.split(','))},"
            " (SELECT COUNT(*) FROM share_link_notes s WHERE s.share_id = l.id)"
            " FROM share_links l WHERE l.owner_hash = $1 AND l.nct_id = $2 ORDER BY l.created_at DESC, l.id",
            (owner_hash, nct_id),
        )
        return [(StoredShareLink(*row[:-1]), int(row[-1])) for row in rows]

    def revoke(self, owner_hash: str, share_id: str, now: str) -> bool:
        cursor = self.conn.execute(
            "UPDATE share_links SET revoked_at = COALESCE(revoked_at, $1) WHERE owner_hash = $2 AND id = $3",
            (now, owner_hash, share_id),
        )
        return cursor.rowcount == 1

    def reserve_attempt(self, share_id: str, *, limit: int) -> bool:
        """Count one passcode attempt before it is checked; False when the link has no attempts left. Counting first
        means that guesses sent all at once can never add up to more than `limit`."""
        cursor = self.conn.execute(
            "UPDATE share_links SET failed_attempts = failed_attempts + 1"
            " WHERE id = $1 AND failed_attempts < $2 AND locked_at IS NULL",
            (share_id, limit),
        )
        return cursor.rowcount == 1

    def settle_attempt(self, share_id: str, *, correct: bool, limit: int, now: str) -> None:
        """After the check: a right passcode gives its reserved attempt back; a wrong one that used the last attempt
        locks the link."""
        if correct:
            self.conn.execute(
                "UPDATE share_links SET failed_attempts = failed_attempts - 1, last_used_at = $1 WHERE id = $2",
                (now, share_id),
            )
        else:
            self.conn.execute(
                "UPDATE share_links SET locked_at = $1 WHERE id = $2 AND failed_attempts >= $3 AND locked_at IS NULL",
                (now, share_id, limit),
            )

    def shared_notes(self, share_id: str) -> list[StoredNote]:
        """The notes a link shows: those chosen when it was made that still exist, with their current text."""
        rows = self.conn.fetchall(
            f"SELECT {', '.join('n.' + c.strip() for c in _NOTE_COLUMNS.split(','))} FROM notes n"
            " JOIN share_link_notes s ON s.note_id = n.id JOIN share_links l ON l.id = s.share_id"
            " WHERE s.share_id = $1 AND n.owner_hash = l.owner_hash AND n.nct_id = l.nct_id"
            " ORDER BY n.created_at, n.id",
            (share_id,),
        )
        return [StoredNote(*row) for row in rows]

    def touch_link(self, share_id: str, *, now: str, older_than: str) -> None:
        """A recipient looked: the link and the notes it shows are in use (at most one write a day)."""
        self.conn.execute(
            "UPDATE share_links SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3", (now, share_id, older_than)
        )
        self.conn.execute(
            "UPDATE notes SET last_used_at = $1 WHERE last_used_at < $2"
            " AND id IN (SELECT note_id FROM share_link_notes WHERE share_id = $3)",
            (now, older_than, share_id),
        )

    # --- other devices ----------------------------------------------------------------------------------------------

    def owner_of_key(self, key_hash: str) -> str:
        """The owner a cookie's key belongs to: a device joined through an emailed link, else the key's own."""
        return self.conn.scalar("SELECT owner_hash FROM note_devices WHERE key_hash = $1", (key_hash,)) or key_hash

    def add_owner_link(self, *, id_hash: str, owner_hash: str, now: str, expires_at: str) -> None:
        self.conn.execute(
            "INSERT INTO note_owner_links (id_hash, owner_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            (id_hash, owner_hash, now, expires_at),
        )

    def use_owner_link(self, id_hash: str, *, now: str) -> str | None:
        """The owner of an unused, unexpired emailed link, which is used up; None otherwise."""
        owner = self.conn.scalar(
            "SELECT owner_hash FROM note_owner_links WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2",
            (id_hash, now),
        )
        if owner is None:
            return None
        cursor = self.conn.execute(
            "UPDATE note_owner_links SET used_at = $1 WHERE id_hash = $2 AND used_at IS NULL", (now, id_hash)
        )
        return owner if cursor.rowcount == 1 else None

    def add_device(self, *, key_hash: str, owner_hash: str, now: str) -> None:
        self.conn.execute(
            "INSERT INTO note_devices (key_hash, owner_hash, created_at) VALUES ($1, $2, $3)",
            (key_hash, owner_hash, now),
        )

    def forget_sent_link_emails(self) -> int:
        """Clear the address of every "link to your notes" email once sent (the outbox has cleared its body)."""
        return self.conn.execute(
            "UPDATE outbox SET recipient = '' WHERE kind = 'notes_link' AND state = 'sent' AND recipient <> ''"
        ).rowcount

    # --- retention --------------------------------------------------------------------------------------------------

    def purge(self, *, unused_since: str) -> tuple[int, int]:
        """Delete share links and notes nobody has used since `unused_since`; (notes, links) deleted."""
        self.conn.execute(
            "DELETE FROM share_link_notes WHERE share_id IN (SELECT id FROM share_links WHERE last_used_at < $1)"
            " OR note_id IN (SELECT id FROM notes WHERE last_used_at < $2)",
            (unused_since, unused_since),
        )
        links = self.conn.execute("DELETE FROM share_links WHERE last_used_at < $1", (unused_since,)).rowcount
        notes = self.conn.execute("DELETE FROM notes WHERE last_used_at < $1", (unused_since,)).rowcount
        # Emailed links past their expiry, and devices of owners who have nothing left.
        self.conn.execute("DELETE FROM note_owner_links WHERE expires_at < $1", (unused_since,))
        self.conn.execute(
            "DELETE FROM note_devices WHERE created_at < $1 AND owner_hash NOT IN (SELECT owner_hash FROM notes)"
            " AND owner_hash NOT IN (SELECT owner_hash FROM share_links)",
            (unused_since,),
        )
        return notes, links
