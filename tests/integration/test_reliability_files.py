"""Files that hold personal data (issue #14, item 7): created for their owner only, and the `.eml` copies of a
person's emails deleted when they withdraw and when the retention period ends."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from support.email_writer import WRITER

from trialfinder.actions import referrals as actions
from trialfinder.actions.catalogue import prepare_database
from trialfinder.actions.outbox import deliver_due
from trialfinder.filemodes import loose_permissions
from trialfinder.notifications.email import FolderSender
from trialfinder.settings import Settings, secret_key
from trialfinder.storage.database import Database
from trialfinder.storage.referrals import NewReferral


def mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path):
    folder = tmp_path / "data"
    database = Database(f"sqlite:///{folder / 'trialfinder.db'}")
    prepare_database(database=database)
    assert mode(folder) == 0o700
    assert mode(folder / "trialfinder.db") == 0o600
    with database.connect() as conn, conn.transaction():
        conn.execute("CREATE TABLE scratch (x INTEGER)")
        # SQLite gives its journal files the database's mode.
        assert {mode(folder / f"trialfinder.db{end}") for end in ("-wal", "-shm")} == {0o600}
    database.close()


def test_the_signing_key_and_its_folder_are_private(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", database_url="sqlite://")
    secret_key(settings)
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "secret.key") == 0o600


def test_wider_modes_are_named_with_the_fix(tmp_path):
    private, shared = tmp_path / "private.db", tmp_path / "shared.db"
    for path in (private, shared):
        path.write_text("")
    private.chmod(0o600)
    shared.chmod(0o644)
    assert loose_permissions([private, shared, tmp_path / "missing"]) == [
        f"{shared} is open to other users (mode 0644); it holds personal data: chmod 600 {shared}"
    ]


def _referral(database, number: int, created_at: str):
    stored, _ = actions.submit_referral(
        database=database,
        referral=NewReferral(
            public_id=f"public-{number}",
            submission=f"submission-{number}",
            nct_id="NCT06857773",
            route="operator",
            site_key=None,
            site_label="",
            team_email="team@example.org",
            team_language="en",
            person_language="en",
            first_name="Anna",
            last_name=f"Person {number}",
            email=f"anna{number}@example.org",
            phone="+31 20 123 4567",
            contact_language="en",
            residence="Amsterdam",
            message="",
            created_at=created_at,
        ),
    )
    return stored


def _queue(database, referral) -> None:
    actions.queue_emails(
        database=database, referral=referral, writer=WRITER, base_url=WRITER.base_url, retention_days=180
    )


def _eml_texts(folder) -> list[str]:
    return sorted(path.read_text() for path in folder.glob("*.eml"))


def test_withdrawing_deletes_the_eml_copies_of_that_persons_emails_only(database, tmp_path):
    mail = FolderSender(tmp_path / "mail")
    now = datetime.now(UTC)
    first = _referral(database, 1, now.isoformat(timespec="seconds"))
    second = _referral(database, 2, now.isoformat(timespec="seconds"))
    for referral in (first, second):
        _queue(database, referral)
    assert deliver_due(database=database, sender=mail).sent == 4
    assert mode(tmp_path / "mail") == 0o700
    assert len(_eml_texts(tmp_path / "mail")) == 4

    actions.withdraw(database=database, referral_id=first.id, mail=mail)

    left = _eml_texts(tmp_path / "mail")
    assert len(left) == 2
    # Both emails of a referral name the person's address (the team's in Reply-To, the copy's in To).
    assert not any("anna1@example.org" in text for text in left)
    assert all("anna2@example.org" in text for text in left)


def test_the_retention_purge_deletes_old_referrals_eml_copies_and_any_older_eml_file(database, tmp_path):
    mail = FolderSender(tmp_path / "mail")
    now = datetime.now(UTC)
    old = _referral(database, 1, (now - timedelta(days=200)).isoformat(timespec="seconds"))
    recent = _referral(database, 2, now.isoformat(timespec="seconds"))
    for referral in (old, recent):
        _queue(database, referral)
    deliver_due(database=database, sender=mail)
    # A message of another kind (say a subscription's), written long ago.
    stale = tmp_path / "mail" / "20250101T000000Z-abc.eml"
    stale.write_text("Subject: old\n\nold")
    old_time = time.time() - 200 * 86400
    os.utime(stale, (old_time, old_time))

    assert actions.purge(database=database, retention_days=180, mail=mail) == 1

    left = _eml_texts(tmp_path / "mail")
    assert len(left) == 2 and all("anna2@example.org" in text for text in left)
    assert not stale.exists()
