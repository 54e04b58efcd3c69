"""Notes and share links in the database, through the actions, on SQLite and PostgreSQL: owners see only their own
notes, links are found only by their token, the passcode lock, expiry, revocation and the retention purge."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from trialfinder.actions import notes as actions
from trialfinder.actions.notes import LinkState, NotesError
from trialfinder.domain.notes import Anchor
from trialfinder.storage.notes import NoteStore

NOW = datetime(2025, 9, 16, 12, 0, tzinfo=UTC)
TRIAL = "NCT06857773"
OTHER_TRIAL = "NCT05786924"
ANCHOR = Anchor("eligibility", "ECOG performance status 0 or 1.", "Patients with both", "\nLife expectancy", 812)
SECRET_TEXT = "My ECOG was 2 last spring; ask Dr Jansen"


@pytest.fixture
def alice():
    return actions.owner_hash(actions.new_owner_key())


@pytest.fixture
def bob():
    return actions.owner_hash(actions.new_owner_key())


def add(database, owner, body=SECRET_TEXT, nct_id=TRIAL, now=NOW):
    return actions.add_note(database=database, owner=owner, nct_id=nct_id, anchor=ANCHOR, body=body, now=now)


def notes_of(database, owner, nct_id=TRIAL):
    with database.connect() as conn:
        return NoteStore(conn).for_trial(owner, nct_id)


def test_secrets_are_random_and_only_their_hashes_are_kept(database, alice):
    keys = {actions.new_owner_key() for _ in range(50)}
    assert len(keys) == 50 and all(actions.is_owner_key(key) for key in keys)
    passcode = actions.new_passcode()
    assert len(passcode) == 14 and passcode.count("-") == 2
    assert not set(passcode.replace("-", "")) & set("01ILO")
    add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    with database.connect() as conn:
        rows = conn.fetchall("SELECT * FROM share_links")
    dumped = repr(rows)
    assert created.token not in dumped and created.passcode not in dumped
    assert "$argon2id$" in dumped
    assert actions.token_hash(created.token) in dumped


def test_notes_belong_to_their_owner_only(database, alice, bob):
    note = add(database, alice)
    assert len(note.id) == 22 and note.id != add(database, alice).id  # random, not sequential
    with database.connect() as conn:
        store = NoteStore(conn)
        assert store.get(alice, note.id).body == SECRET_TEXT
        assert store.get(bob, note.id) is None
        assert store.for_trial(bob, TRIAL) == []
    # Bob can neither edit nor delete Alice's note, even knowing its id.
    assert not actions.edit_note(database=database, owner=bob, note_id=note.id, body="changed", now=NOW)
    assert not actions.delete_note(database=database, owner=bob, note_id=note.id)
    assert [item.body for item in notes_of(database, alice)] == [SECRET_TEXT, SECRET_TEXT]
    assert actions.edit_note(database=database, owner=alice, note_id=note.id, body="Ask about the pump", now=NOW)
    assert actions.delete_note(database=database, owner=alice, note_id=note.id)
    assert [item.body for item in notes_of(database, alice)] == [SECRET_TEXT]


def test_actions_never_log_what_a_person_wrote(database, alice, caplog):
    caplog.set_level(logging.DEBUG)
    note = add(database, alice)
    actions.edit_note(database=database, owner=alice, note_id=note.id, body=SECRET_TEXT + " again", now=NOW)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    actions.try_passcode(database=database, token=created.token, passcode="WRONG-CODE-XXXX", now=NOW)
    actions.try_passcode(database=database, token=created.token, passcode=created.passcode, now=NOW)
    text = caplog.text
    assert note.id in text  # ids are logged, values never
    for secret in (SECRET_TEXT, ANCHOR.quote, created.token, created.passcode, alice):
        assert secret not in text


def test_a_share_link_opens_with_its_passcode_and_shows_the_notes_of_that_moment(database, alice):
    first = add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    later = add(database, alice, body="added after sharing")
    assert created.notes == 1
    attempt = actions.try_passcode(database=database, token=created.token, passcode=created.passcode.lower(), now=NOW)
    assert attempt.correct and attempt.state == LinkState.OPEN and attempt.attempts_left == 5
    shown = actions.shared_notes(database=database, share_id=created.link.id, now=NOW)
    assert [note.id for note in shown] == [first.id] and later.id not in {note.id for note in shown}
    # Edits show; a deleted note disappears from the link.
    actions.edit_note(database=database, owner=alice, note_id=first.id, body="edited", now=NOW)
    assert [note.body for note in actions.shared_notes(database=database, share_id=created.link.id, now=NOW)] == [
        "edited"
    ]
    actions.delete_note(database=database, owner=alice, note_id=first.id)
    assert actions.shared_notes(database=database, share_id=created.link.id, now=NOW) == []


def test_nothing_to_share_without_notes(database, alice):
    with pytest.raises(NotesError) as raised:
        actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    assert raised.value.code == "nothing_to_share"


def test_a_guessed_or_tampered_token_finds_nothing(database, alice):
    add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    token = created.token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (tampered, token[:-1], token + "x", actions.new_owner_key()[:32], "", created.link.id):
        assert actions.find_share_link(database=database, token=wrong) is None
        attempt = actions.try_passcode(database=database, token=wrong, passcode=created.passcode, now=NOW)
        assert attempt.state == LinkState.UNKNOWN and not attempt.correct


def test_five_wrong_passcodes_lock_the_link_even_for_the_right_one_afterwards(database, alice):
    add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    lefts = [
        actions.try_passcode(database=database, token=created.token, passcode="AAAA-BBBB-CCCC", now=NOW).attempts_left
        for _ in range(4)
    ]
    assert lefts == [4, 3, 2, 1]
    # A right passcode in between does not use up an attempt.
    assert actions.try_passcode(database=database, token=created.token, passcode=created.passcode, now=NOW).correct
    fifth = actions.try_passcode(database=database, token=created.token, passcode="AAAA-BBBB-CCCC", now=NOW)
    assert fifth.state == LinkState.LOCKED and fifth.attempts_left == 0
    after = actions.try_passcode(database=database, token=created.token, passcode=created.passcode, now=NOW)
    assert after.state == LinkState.LOCKED and not after.correct


def test_guesses_sent_all_at_once_never_exceed_five(database, alice):
    add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    results = []

    def guess(index):
        results.append(
            actions.try_passcode(database=database, token=created.token, passcode=f"AAAA-BBBB-{index:04d}", now=NOW)
        )

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12 and not any(result.correct for result in results)
    # However the twelve interleaved, at most five were ever checked against the hash.
    assert sum(1 for result in results if result.state != LinkState.LOCKED) <= 4
    with database.connect() as conn:
        stored = NoteStore(conn).link_by_id(created.link.id)
    assert stored.failed_attempts == 5 and stored.locked_at
    assert actions.link_state(stored, NOW) == LinkState.LOCKED


def test_a_link_expires_after_seven_days(database, alice):
    add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    almost = NOW + timedelta(days=7) - timedelta(seconds=1)
    assert actions.try_passcode(database=database, token=created.token, passcode=created.passcode, now=almost).correct
    expired = actions.try_passcode(
        database=database, token=created.token, passcode=created.passcode, now=NOW + timedelta(days=7)
    )
    assert expired.state == LinkState.EXPIRED and not expired.correct


def test_only_the_owner_can_revoke_a_link(database, alice, bob):
    add(database, alice)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    assert not actions.revoke_share_link(database=database, owner=bob, share_id=created.link.id, now=NOW)
    assert actions.try_passcode(database=database, token=created.token, passcode=created.passcode, now=NOW).correct
    assert actions.revoke_share_link(database=database, owner=alice, share_id=created.link.id, now=NOW)
    revoked = actions.try_passcode(database=database, token=created.token, passcode=created.passcode, now=NOW)
    assert revoked.state == LinkState.REVOKED and not revoked.correct


def test_deleting_all_notes_deletes_the_links_too(database, alice, bob):
    add(database, alice)
    add(database, alice, nct_id=OTHER_TRIAL)
    add(database, bob)
    created = actions.create_share_link(database=database, owner=alice, nct_id=TRIAL, now=NOW)
    assert actions.delete_all(database=database, owner=alice) == (2, 1)
    assert actions.find_share_link(database=database, token=created.token) is None
    assert len(notes_of(database, bob)) == 1


def test_unused_notes_and_links_are_purged_after_the_retention_period(database, alice, bob):
    old = add(database, alice, now=NOW - timedelta(days=200))
    shared = add(database, bob, now=NOW - timedelta(days=200))
    created = actions.create_share_link(database=database, owner=bob, nct_id=TRIAL, now=NOW - timedelta(days=200))
    recent = add(database, alice, now=NOW - timedelta(days=10))
    # The recipient opened Bob's link five days ago: the link and its note are in use.
    actions.shared_notes(database=database, share_id=created.link.id, now=NOW - timedelta(days=5))
    assert actions.purge(database=database, retention_days=180, now=NOW) == (1, 0)
    with database.connect() as conn:
        store = NoteStore(conn)
        assert store.get(alice, old.id) is None
        assert store.get(alice, recent.id) is not None and store.get(bob, shared.id) is not None
    assert actions.purge(database=database, retention_days=180, now=NOW + timedelta(days=180)) == (2, 1)
    assert actions.find_share_link(database=database, token=created.token) is None


def test_another_device_joins_through_a_one_time_emailed_link(database, alice, bob):
    alice_key = actions.new_owner_key()
    alice = actions.owner_of(database=database, owner_key=alice_key)
    assert alice == actions.owner_hash(alice_key)
    add(database, alice)
    add(database, bob)  # the second device had a note of its own already
    link_id = actions.create_owner_link(database=database, owner=alice, now=NOW)
    with database.connect() as conn:
        assert link_id not in repr(conn.fetchall("SELECT * FROM note_owner_links"))
    device_key = actions.join_device(database=database, link_id=link_id, device_owner=bob, now=NOW)
    assert device_key and device_key != alice_key
    assert actions.owner_of(database=database, owner_key=device_key) == alice
    assert len(notes_of(database, alice)) == 2 and notes_of(database, bob) == []
    # Once only; and an expired or unknown link gives nothing.
    assert actions.join_device(database=database, link_id=link_id, device_owner=None, now=NOW) is None
    late = actions.create_owner_link(database=database, owner=alice, now=NOW)
    assert actions.join_device(database=database, link_id=late, device_owner=None, now=NOW + timedelta(days=1)) is None
    assert actions.join_device(database=database, link_id="x" * 22, device_owner=None, now=NOW) is None
    # Deleting everything forgets the other device too.
    actions.delete_all(database=database, owner=alice)
    assert actions.owner_of(database=database, owner_key=device_key) == actions.owner_hash(device_key)
