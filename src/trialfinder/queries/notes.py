"""Reading a person's notes and share links, for the notes' pages. Every read names the owner (the hash of their
cookie's key): another visitor's note is not found, like a missing one. Nothing here logs what it reads."""

from __future__ import annotations

from trialfinder.storage.database import Database
from trialfinder.storage.notes import NoteStore, StoredNote, StoredShareLink

# What the pages show: the stored records, as the queries give them.
__all__ = ["StoredNote", "StoredShareLink", "find_note", "notes_on_trial", "trials_with_notes"]


def find_note(*, database: Database, owner: str, note_id: str) -> StoredNote | None:
    with database.connect() as conn:
        return NoteStore(conn).get(owner, note_id)


def notes_on_trial(
    *, database: Database, owner: str, nct_id: str
) -> tuple[list[StoredNote], list[tuple[StoredShareLink, int]]]:
    """The owner's notes on a trial, and their share links of it with the number of notes each shares."""
    with database.connect() as conn:
        store = NoteStore(conn)
        return store.for_trial(owner, nct_id), store.links_for_trial(owner, nct_id)


def trials_with_notes(*, database: Database, owner: str) -> list[tuple[str, int]]:
    """The trials the owner has notes on, each with how many."""
    with database.connect() as conn:
        return NoteStore(conn).trials(owner)
