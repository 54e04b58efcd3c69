"""Reliability under attack and load: the figures of issue #14, measured again. Prints a table; not a test.

    .venv/bin/python bench/reliability.py [--postgres postgresql://postgres@127.0.0.1/postgres] [--fuzz 20000]

Needs the test extra (`make install-test`: aiosmtpd for the SMTP server on localhost). What it runs, each on SQLite
(a file in a temporary folder) and, with --postgres, on PostgreSQL (a schema of its own, dropped afterwards):

- exactly once: 200 messages, 2 and then 4 senders (threads, each with its own connections, started 0.4 s apart,
  each running delivery rounds of 20 until nothing is left) against an SMTP server that takes 40 ms per message,
  with a 1-second lease so that every round outlasts a lease: messages lost, and messages sent twice;
- an SMTP outage: 40 messages queued while the server is down, delivery tried, the server brought back, delivery
  run after the first backoff: messages delivered, lost, duplicated;
- share-link guesses: 50 wrong passcodes at once against one link: how many were checked before it locked;
- header injection: 10 header values with line breaks (CR, LF, CRLF, NUL, Unicode line separators) in the
  recipient, subject and reply-to of an email: how many were refused;
- criteria parser fuzz: `--fuzz` random texts made of criteria vocabulary, numbers, units, operators, bullets and
  arbitrary characters: exceptions raised.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.smtp_server import SmtpServer, free_port  # noqa: E402

from trialfinder.actions import notes as note_actions  # noqa: E402
from trialfinder.actions.catalogue import prepare_database  # noqa: E402
from trialfinder.actions.outbox import deliver_due, stamp  # noqa: E402
from trialfinder.domain.notes import Anchor  # noqa: E402
from trialfinder.eligibility.parser import parse_criteria  # noqa: E402
from trialfinder.notifications.email import OutgoingEmail, SmtpSender, message_text  # noqa: E402
from trialfinder.storage.database import Database  # noqa: E402
from trialfinder.storage.outbox import Outbox  # noqa: E402

SENDER = "trialfinder <no-reply@trials.example>"


def smtp_sender(port: int) -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5)


def queue(database: Database, count: int, *, now: datetime) -> None:
    with database.connect() as conn, conn.transaction():
        outbox = Outbox(conn)
        for number in range(count):
            email = OutgoingEmail(to=f"person{number}@example.org", subject=f"m{number}", text="t", html="<p>h</p>")
            outbox.add(
                dedupe_key=f"m{number}",
                kind="bench",
                recipient=email.to,
                body=message_text(email, sender=SENDER),
                now=stamp(now),
            )


def exactly_once(database: Database, senders: int, messages: int = 200) -> tuple[int, int, float]:
    queue(database, messages, now=datetime.now(UTC))
    started = time.monotonic()
    with SmtpServer(delay=0.04) as smtp:

        def work(index: int) -> None:
            time.sleep(0.4 * index)
            while True:
                deliver_due(database=database, sender=smtp_sender(smtp.port), limit=20, lease=timedelta(seconds=1))
                with database.connect() as conn:
                    if not Outbox(conn).counts().get("pending"):
                        return
                time.sleep(0.05)

        threads = [threading.Thread(target=work, args=(index,)) for index in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.3)
        subjects = Counter(item.message["Subject"] for item in smtp.received)
    lost = messages - len(subjects)
    twice = sum(1 for times in subjects.values() if times > 1)
    return lost, twice, time.monotonic() - started


def smtp_outage(database: Database, messages: int = 40) -> tuple[int, int, int]:
    now = datetime.now(UTC)
    queue(database, messages, now=now)
    port = free_port()
    down = deliver_due(database=database, sender=smtp_sender(port), now=now, limit=1000)  # nothing listens
    with SmtpServer(port=port) as smtp:
        deliver_due(database=database, sender=smtp_sender(port), now=now + timedelta(minutes=2), limit=1000)
        time.sleep(0.3)
        subjects = Counter(item.message["Subject"] for item in smtp.received)
    assert down.retrying == messages, down
    return len(subjects), messages - len(subjects), sum(1 for times in subjects.values() if times > 1)


def share_link_guesses(database: Database, guesses: int = 50) -> tuple[int, int, str]:
    now = datetime.now(UTC)
    owner = note_actions.owner_hash(note_actions.new_owner_key())
    anchor = Anchor(section="eligibility", quote="adults", prefix="", suffix="", position=0)
    note_actions.add_note(database=database, owner=owner, nct_id="NCT06857773", anchor=anchor, body="n", now=now)
    link = note_actions.create_share_link(database=database, owner=owner, nct_id="NCT06857773", now=now)
    results: list = []

    def guess() -> None:
        attempt = note_actions.try_passcode(database=database, token=link.token, passcode="WRONG-CODE-0000", now=now)
        results.append(attempt)

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = note_actions.find_share_link(database=database, token=link.token)
    state = note_actions.link_state(found, now).value
    right = note_actions.try_passcode(database=database, token=link.token, passcode=link.passcode, now=now)
    return found.failed_attempts if found else -1, int(right.correct), state


INJECTIONS = (
    "a@example.org\r\nBcc: victim@example.org",
    "a@example.org\nBcc: victim@example.org",
    "a@example.org\rBcc: victim@example.org",
    "a@example.org\x00Bcc: victim@example.org",
    "Hello\r\nBcc: victim@example.org",
    "Hello\nContent-Type: text/html",
    "Hello\r\n\r\n<script>",
    "a@example.org, victim@example.org",
    "Anna <a@example.org>, Bert <victim@example.org>",
    "a@example.org\u2028Bcc: victim@example.org",
)


def header_injection() -> tuple[int, int]:
    """Each payload in each header it could attack (a list of addresses only where an address goes): refused, or
    built with one recipient and no header of its own."""
    from email import message_from_string, policy

    refused = tried = 0
    for value in INJECTIONS:
        breaks = any(char in value for char in "\r\n\x00\u2028")
        fields = ("to", "subject", "reply_to") if breaks else ("to", "reply_to")
        for field in fields:
            tried += 1
            values = {"to": "ok@example.org", "subject": "s", "reply_to": None, field: value}
            try:
                raw = message_text(OutgoingEmail(text="t", html="<p>h</p>", **values), sender=SENDER)
            except ValueError:
                refused += 1
                continue
            message = message_from_string(raw, policy=policy.default)
            recipients = message.get_all("To", []) + message.get_all("Cc", []) + message.get_all("Bcc", [])
            if len(recipients) == 1 and "victim" not in str(recipients[0]) and "victim" not in str(message["Reply-To"]):
                refused += 1
    return refused, tried


VOCABULARY = (
    "age",
    "years",
    "months",
    "days",
    "≥",
    "<=",
    ">",
    "<",
    "=",
    "mg/dL",
    "mmol/L",
    "µmol/L",
    "x ULN",
    "× ULN",
    "ULN",
    "haemoglobin",
    "creatinine",
    "eGFR",
    "ECOG",
    "Karnofsky",
    "platelets",
    "10^9/L",
    "g/dL",
    "mEq/L",
    "mL/min/1.73 m²",
    "within",
    "weeks",
    "prior",
    "chemotherapy",
    "not",
    "no",
    "or",
    "and",
    "unless",
    "except",
    "pregnant",
    "metastases",
    "18",
    "75",
    "0.5",
    "1,5",
    "1.5",
    "-",
    "–",
    "(",
    ")",
    "[",
    "]",
    "*",
    "\n",
    "\n* ",
    "\n  - ",
    "\n1. ",
    "Inclusion Criteria:",
    "Exclusion Criteria:",
    ":",
    ";",
    "%",
    "/",
    "\t",
    "\u200b",
    "\x00",
)


def fuzz(count: int, seed: int = 14) -> tuple[int, int, float]:
    generator = random.Random(seed)
    errors = 0
    started = time.monotonic()
    for _ in range(count):
        parts = []
        for _ in range(generator.randint(1, 60)):
            if generator.random() < 0.8:
                parts.append(generator.choice(VOCABULARY))
            else:
                parts.append("".join(chr(generator.randint(1, 0x2FFF)) for _ in range(generator.randint(1, 6))))
            parts.append(" " if generator.random() < 0.7 else "")
        try:
            parse_criteria("".join(parts))
        except Exception:  # noqa: BLE001 (counted: the figure is the number of inputs that raised)
            errors += 1
    return errors, count, time.monotonic() - started


def databases(postgres: str | None):
    folder = Path(tempfile.mkdtemp(prefix="trialfinder-reliability-"))
    counter = iter(range(1_000_000))
    yield "SQLite", lambda: Database(f"sqlite:///{folder / f'bench-{next(counter)}.db'}"), None
    if postgres:
        import psycopg

        schemas: list[str] = []

        def fresh() -> Database:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            schemas.append(schema)
            separator = "&" if "?" in postgres else "?"
            return Database(f"{postgres}{separator}options={quote(f'-csearch_path={schema}')}")

        def cleanup() -> None:
            with psycopg.connect(postgres, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")

        yield "PostgreSQL", fresh, cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to run the database cases on as well")
    parser.add_argument("--fuzz", type=int, default=20_000, help="random criteria texts to parse (default 20,000)")
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []
    for engine, fresh, cleanup in databases(args.postgres):

        def prepared(fresh=fresh) -> Database:
            database = fresh()
            prepare_database(database=database)
            return database

        try:
            for senders in (2, 4):
                lost, twice, seconds = exactly_once(prepared(), senders)
                rows.append(
                    (engine, f"200 messages, {senders} senders", f"lost {lost}, sent twice {twice} ({seconds:.1f} s)")
                )
            delivered, lost, twice = smtp_outage(prepared())
            rows.append(
                (engine, "40 messages across an SMTP outage", f"delivered {delivered}, lost {lost}, twice {twice}")
            )
            failed, right, state = share_link_guesses(prepared())
            rows.append(
                (
                    engine,
                    "50 parallel wrong passcodes",
                    f"{failed} counted, then {state}; right passcode after: {bool(right)}",
                )
            )
        finally:
            if cleanup:
                cleanup()
    refused, total = header_injection()
    rows.append(("-", "header injection (payload × header)", f"{refused} of {total} refused"))
    errors, count, seconds = fuzz(args.fuzz)
    rows.append(
        ("-", f"criteria parser fuzz ({count:,} inputs)", f"{errors} exceptions ({count / seconds:,.0f} inputs/s)")
    )

    width = max(len(case) for _, case, _ in rows)
    print(f"{'engine':<11} {'case':<{width}}  result")
    for engine, case, result in rows:
        print(f"{engine:<11} {case:<{width}}  {result}")


if __name__ == "__main__":
    main()
