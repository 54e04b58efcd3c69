"""Alert-run benchmark: 10,000 confirmed subscriptions against 1,000 new or changed trials on 100,000.

    python bench/notify.py [--records 100000] [--subscriptions 10000] [--changes 1000] [--database URL]

The catalogue is the starter catalogue scaled up with new NCT ids, as bench/search.py builds it (imported once
into bench/out/notify-<records>.db and reused; `--rebuild` builds it again). The changes recorded by that build
are taken as processed. Subscriptions are stored confirmed, each with a saved search drawn from fixed lists:
a condition (always), half of them a city with a radius of 25-100 km, a third an age, a fifth a sex, a tenth a
phase; 60% "as they come", 25% daily, 15% weekly. Then one import batch writes the changes (through the real
catalogue writer): half new trials (copies of existing ones under new ids), a quarter existing trials that become
recruiting, a quarter existing recruiting trials that gain a recruiting site in one of the cities. The timed part
is one `run_alerts` (the `notify` command's work, less SMTP): matching, recording matches, composing every due
email (text and HTML in the subscriber's language) and queueing it in the outbox.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from search import CITIES, CONDITIONS, build_catalogue  # noqa: E402


def prepare(url: str, records: int, rebuild: bool, cache: Path) -> None:
    marker = OUT / f"notify-{records}.built.json"
    if rebuild or not marker.exists() or not url.startswith("sqlite"):
        if url.startswith("sqlite"):
            for stale in OUT.glob(f"notify-{records}.db*"):
                stale.unlink()
        build_catalogue(records, url, cache)
        marker.write_text(json.dumps({"records": records, "url": url}))


def main() -> None:
    parser = argparse.ArgumentParser(description="trialfinder alert-run benchmark")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--database", help="a database URL (default: a SQLite file in bench/out/)")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    from trialfinder.actions.catalogue import prepare_database
    from trialfinder.actions.catalogue_writer import write_batch
    from trialfinder.actions.email_writer import EmailWriter
    from trialfinder.actions.notify import ALERT_KIND, compose_alert, run_alerts
    from trialfinder.actions.outbox import stamp
    from trialfinder.actions.subscription_emails import compose_alert as compose_alert_email
    from trialfinder.domain.trial import RecruitmentStatus, Site
    from trialfinder.domain.values import GeoPoint, PartialDate
    from trialfinder.settings import Settings
    from trialfinder.storage.bookkeeping import KeyValues
    from trialfinder.storage.changes import CURSOR_KEY, ChangeLog
    from trialfinder.storage.database import Database
    from trialfinder.storage.outbox import Outbox
    from trialfinder.storage.trials import TrialStore
    from trialfinder.web.places import PlaceFinder

    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / "cache"
    url = args.database or f"sqlite:///{OUT / f'notify-{args.records}.db'}"
    prepare(url, args.records, args.rebuild, cache)
    database = Database(url)
    prepare_database(database=database)
    rng = random.Random(5)
    places = PlaceFinder(cache)
    cities = {name: places.find(name)[0].point for name in CITIES}
    now = datetime.now(UTC)

    with database.connect() as conn, conn.transaction():
        latest = ChangeLog(conn).latest_id()
        ChangeLog(conn).delete_through(latest)
        KeyValues(conn, "sync_state").set(CURSOR_KEY, str(latest), stamp(now))
        conn.execute("DELETE FROM subscription_matches")
        conn.execute("DELETE FROM outbox WHERE dedupe_key LIKE 'subscription:%'")
        conn.execute("DELETE FROM subscriptions")
        rows = []
        for index in range(args.subscriptions):
            pairs = [("condition", rng.choice(CONDITIONS))]
            lat = lon = radius = None
            if index % 2 == 0:
                city = rng.choice(CITIES)
                radius = rng.choice((25, 50, 100))
                pairs += [("location", city), ("radius", str(radius))]
                lat, lon = cities[city].lat, cities[city].lon
            if index % 3 == 0:
                pairs.append(("age", str(rng.randint(18, 80))))
            if index % 5 == 0:
                pairs.append(("sex", rng.choice(("female", "male"))))
            if index % 10 == 0:
                pairs.append(("phase", rng.choice(("PHASE2", "PHASE3"))))
            frequency = "immediate" if index % 20 < 12 else ("daily" if index % 20 < 17 else "weekly")
            email = f"subscriber{index}@example.org"
            rows.append(
                (
                    f"bench{index:06d}",
                    email,
                    email,
                    rng.choice(("en", "nl")),
                    urlencode(pairs),
                    lat,
                    lon,
                    radius,
                    frequency,
                    "confirmed",
                    stamp(now),
                    stamp(now),
                    latest,
                )
            )
        conn.executemany(
            "INSERT INTO subscriptions (public_id, email, email_key, language, search, lat, lon, radius_km, frequency,"
            " state, created_at, confirmed_at, from_change) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            rows,
        )

    # The changes: one import batch through the real writer.
    with database.connect() as conn:
        store = TrialStore(conn)
        completed = [
            r[0] for r in conn.fetchall("SELECT nct_id FROM trials WHERE overall_status = 'COMPLETED' ORDER BY nct_id")
        ]
        recruiting = [
            r[0] for r in conn.fetchall("SELECT nct_id FROM trials WHERE overall_status = 'RECRUITING' ORDER BY nct_id")
        ]
        others = [r[0] for r in conn.fetchall("SELECT nct_id FROM trials ORDER BY nct_id LIMIT 20000")]
        newer = PartialDate.parse("2030-01-01")
        trials = []
        quarter = args.changes // 4
        for index, nct in enumerate(rng.sample(others, args.changes - 2 * quarter)):
            trial = store.get(nct)
            trials.append(dataclasses.replace(trial, nct_id=f"NCT8{index:07d}", last_update=newer))
        for nct in rng.sample(completed, quarter):
            trial = store.get(nct)
            sites = tuple(dataclasses.replace(site, status=None) for site in trial.sites)
            trials.append(
                dataclasses.replace(trial, overall_status=RecruitmentStatus.RECRUITING, sites=sites, last_update=newer)
            )
        for nct in rng.choices(recruiting, k=quarter):
            trial = store.get(nct)
            point = cities[rng.choice(CITIES)]
            site = Site(
                facility=f"New site {len(trials)}",
                city="Somewhere",
                country="Somewhere",
                status=RecruitmentStatus.RECRUITING,
                coordinates=GeoPoint(point.lat + rng.uniform(-0.2, 0.2), point.lon + rng.uniform(-0.2, 0.2)),
            )
            trials.append(dataclasses.replace(trial, sites=(*trial.sites, site), last_update=newer))
        started = time.perf_counter()
        with conn.transaction():
            counts = write_batch(conn, trials)
        written = time.perf_counter() - started
        kinds = dict(conn.fetchall("SELECT kind, COUNT(*) FROM catalogue_changes GROUP BY kind"))
    print(f"trialfinder alert-run benchmark: {args.records:,} trials in {url.split('?')[0]}; {os.cpu_count()} cores")
    print(f"wrote {counts.added} new and {counts.updated} updated trials in {written:.1f} s; changes by kind: {kinds}")

    settings = Settings(data_dir=OUT / "data", cache_dir=cache, database_url=url, secret_key="b" * 40)
    writer = EmailWriter.from_settings(settings, base_url="https://trials.example.org")
    started = time.perf_counter()
    report = run_alerts(database=database, now=now)
    total = time.perf_counter() - started
    print(
        f"{report.subscriptions:,} subscriptions x {report.trials:,} changed trials ({report.changes:,} changes):"
        f" {report.matched:,} matches, {report.emails:,} alerts queued"
    )
    print(f"alert run: {total:.2f} s (matching {report.match_seconds:.2f} s, queueing {report.send_seconds:.2f} s)")
    started = time.perf_counter()
    again = run_alerts(database=database, now=now)
    print(f"second run: {again.matched} matches, {again.emails} alerts, {time.perf_counter() - started:.2f} s")

    # Delivery composes each alert as it leaves (actions.notify.compose_alert). Measured apart from the run: its
    # cost is paid once per email sent, beside the mail server's own time, and never holds up the alert run.
    with database.connect() as conn:
        queued = [m for m in Outbox(conn).listing(states=("pending",), limit=500) if m.kind == ALERT_KIND]
    started = time.perf_counter()
    for message in queued:
        compose_alert(
            message,
            database=database,
            compose=lambda s, m: compose_alert_email(s, m, writer=writer, base_url=writer.base_url),
            sender_address=writer.sender_address,
        )
    each = (time.perf_counter() - started) / max(len(queued), 1) * 1000
    print(f"composing at delivery: {each:.1f} ms per alert ({len(queued)} alerts composed)")


if __name__ == "__main__":
    main()
