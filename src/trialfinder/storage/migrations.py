"""Versioned schema migrations, one list of statements per engine.

A migration is applied in one transaction with its row in `schema_migrations`; both engines have
transactional DDL, so a failed migration leaves the schema as it was. A migration may end with a step in Python
(`then`), in the same transaction: one that derives new columns from the stored records. Never edit a released
migration: add a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from trialfinder.storage.database import Connection


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]
    then: Callable[[Connection], None] | None = None

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sqlite if dialect == "sqlite" else self.postgresql


# In `sites`, `open_status` is the site's own status or, when it has none, the trial's: the status search
# goes by; `trial_status` repeats the trial's, so that a radius search never has to visit `trials`.
# Columns beside `record` (the whole trial as JSON) exist for filtering, sorting and bookkeeping only;
# `record` is the truth. Ages are stored in days so that "6 Months" and "18 Years" compare.
_TRIALS_COLUMNS = """
    nct_id TEXT NOT NULL UNIQUE,
    brief_title TEXT NOT NULL,
    overall_status TEXT NOT NULL,
    study_type TEXT,
    phases TEXT NOT NULL,
    sex TEXT NOT NULL,
    min_age_days REAL,
    max_age_days REAL,
    healthy_volunteers INTEGER,
    start_date TEXT,
    first_posted TEXT,
    last_update TEXT,
    last_update_key TEXT NOT NULL,
    source_format TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    site_count INTEGER NOT NULL,
    countries TEXT NOT NULL,
    record TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
"""

_SITES_COLUMNS = """
    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    facility TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    country TEXT,
    status TEXT,
    lat REAL,
    lon REAL,
    approximate INTEGER NOT NULL,
    trial_status TEXT NOT NULL,
    open_status TEXT NOT NULL,
    PRIMARY KEY (trial_id, position)
"""

_COMMON_TAIL = (
    "CREATE INDEX trials_status ON trials (overall_status)",
    "CREATE INDEX trials_last_update ON trials (last_update_key)",
    # Covering for radius search: the box, both statuses and the precision, without reading the rows.
    "CREATE INDEX sites_position ON sites (lat, lon, open_status, trial_status, approximate)",
    """CREATE TABLE import_runs (
        source TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        position INTEGER NOT NULL,
        status TEXT NOT NULL,
        added INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        stale INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (source, fingerprint)
    )""",
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE catalogue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def _REFERRAL_TABLES(serial: str) -> tuple[str, ...]:  # noqa: N802 (a constant, spelled as one)
    # A referral's personal details (names, email, phone, place, message) live only in `referrals` and in the
    # bodies of its outbox messages; withdrawing or purging a referral clears both. `submission` is the form's
    # one-time key: submitting the same form twice finds the row already there.
    return (
        f"""CREATE TABLE referrals (
            id {serial},
            public_id TEXT NOT NULL UNIQUE,
            submission TEXT NOT NULL UNIQUE,
            nct_id TEXT NOT NULL,
            route TEXT NOT NULL,
            site_key TEXT,
            site_label TEXT NOT NULL,
            team_email TEXT NOT NULL,
            team_language TEXT NOT NULL,
            person_language TEXT NOT NULL,
            first_name TEXT,
            last_name TEXT,
            email TEXT,
            phone TEXT,
            contact_language TEXT,
            residence TEXT,
            message TEXT,
            created_at TEXT NOT NULL,
            queued_at TEXT,
            contacted_at TEXT,
            withdrawn_at TEXT
        )""",
        "CREATE INDEX referrals_created ON referrals (created_at)",
        f"""CREATE TABLE outbox (
            id {serial},
            dedupe_key TEXT NOT NULL UNIQUE,
            referral_id BIGINT REFERENCES referrals (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            recipient TEXT NOT NULL,
            body TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )""",
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        "CREATE INDEX outbox_referral ON outbox (referral_id)",
    )


# One overview per trial, language and generator, for the record version it was written from
# (`record_version`, the trial's content hash) by a generator version (rules and lexicon, or the model's name):
# when either differs from the current one, the overview is stale and is written again. No foreign key to
# `trials`: an overview is derived data, replaced or ignored, and a trial is replaced by NCT id.
_OVERVIEW_TABLES = (
    """CREATE TABLE overviews (
        nct_id TEXT NOT NULL,
        language TEXT NOT NULL,
        generator TEXT NOT NULL,
        record_version TEXT NOT NULL,
        generator_version TEXT NOT NULL,
        overview TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (nct_id, language, generator)
    )""",
)


def _SUBSCRIPTION_TABLES(serial: str) -> tuple[str, ...]:  # noqa: N802 (a constant, spelled as one)
    # `catalogue_changes`: what an import or sync changed that a subscriber may want to hear about, written in the
    # trial's own transaction: a trial new to the catalogue, a trial whose status became recruiting or not yet
    # recruiting, or a site that became open (with its coordinates and status). The alert run reads them after its
    # cursor and deletes them once processed. `subscriptions` hold what a person typed (their address and saved
    # search): see DEVELOPERS.md, "Personal data". A subscription's `search` is the search page's query string;
    # the place it names is resolved once, at sign-up (`lat`, `lon`, `radius_km`). `from_change` is the last change
    # before it was confirmed: nothing older is news to it. `subscription_matches` holds each (subscription, trial)
    # pair once (its key), so that a trial is never alerted twice; `sent_at` is empty while it waits in a digest.
    return (
        # Ids only ever grow (SQLite: AUTOINCREMENT), even after processed changes are deleted: the alert run's cursor
        # and each subscription's `from_change` are ids.
        f"""CREATE TABLE catalogue_changes (
            id {serial.replace("PRIMARY KEY", "PRIMARY KEY AUTOINCREMENT") if serial.startswith("INTEGER") else serial},
            nct_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT,
            lat REAL,
            lon REAL,
            changed_at TEXT NOT NULL
        )""",
        f"""CREATE TABLE subscriptions (
            id {serial},
            public_id TEXT NOT NULL UNIQUE,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL,
            language TEXT NOT NULL,
            search TEXT NOT NULL,
            lat REAL,
            lon REAL,
            radius_km REAL,
            frequency TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            confirmed_at TEXT,
            last_sent_at TEXT,
            from_change BIGINT NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX subscriptions_email ON subscriptions (email_key)",
        "CREATE INDEX subscriptions_state ON subscriptions (state, created_at)",
        """CREATE TABLE subscription_matches (
            subscription_id BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
            nct_id TEXT NOT NULL,
            distance_km REAL,
            matched_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (subscription_id, nct_id)
        )""",
        "CREATE INDEX subscription_matches_waiting ON subscription_matches (subscription_id) WHERE sent_at IS NULL",
    )


# Notes and share links (personal health data: see DEVELOPERS.md). Owners are known only by the SHA-256 of the
# random key in their `notes_owner` cookie; note ids are random, never sequential. A share link is stored as the
# SHA-256 of its token and an argon2id hash of its passcode; `share_link_notes` is the set of notes it shows,
# fixed when it was made. `last_used_at` drives the retention purge.
_NOTE_TABLES = (
    """CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        owner_hash TEXT NOT NULL,
        nct_id TEXT NOT NULL,
        section TEXT NOT NULL,
        quote TEXT NOT NULL,
        prefix TEXT NOT NULL,
        suffix TEXT NOT NULL,
        position INTEGER,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL
    )""",
    "CREATE INDEX notes_owner_trial ON notes (owner_hash, nct_id)",
    "CREATE INDEX notes_last_used ON notes (last_used_at)",
    """CREATE TABLE share_links (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        owner_hash TEXT NOT NULL,
        nct_id TEXT NOT NULL,
        passcode_hash TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT,
        locked_at TEXT,
        last_used_at TEXT NOT NULL
    )""",
    "CREATE INDEX share_links_owner ON share_links (owner_hash, nct_id)",
    "CREATE INDEX share_links_last_used ON share_links (last_used_at)",
    """CREATE TABLE share_link_notes (
        share_id TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
        note_id TEXT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
        PRIMARY KEY (share_id, note_id)
    )""",
    "CREATE INDEX share_link_notes_note ON share_link_notes (note_id)",
    # Another device reaches the same notes through a one-time emailed link (`note_owner_links`, by the SHA-256 of
    # its id): it gets a key of its own, listed in `note_devices` as belonging to the first key's owner.
    """CREATE TABLE note_owner_links (
        id_hash TEXT PRIMARY KEY,
        owner_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    )""",
    """CREATE TABLE note_devices (
        key_hash TEXT PRIMARY KEY,
        owner_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX note_devices_owner ON note_devices (owner_hash)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "trials, sites, full-text index, import and sync bookkeeping",
        sqlite=(
            f"CREATE TABLE trials (id INTEGER PRIMARY KEY, {_TRIALS_COLUMNS})",
            # Clustered by trial: a trial's sites are read and replaced together, and one b-tree fewer
            # to maintain makes imports of multi-site trials markedly faster.
            f"CREATE TABLE sites ({_SITES_COLUMNS}) WITHOUT ROWID",
            # Porter stemming so "cancers" finds "cancer"; diacritics folded so "Sjögren" finds "Sjogren".
            # rowid is trials.id; the import keeps the two in step inside one transaction.
            # `facets` holds filter tokens (status, phases, type, sex, healthy volunteers) so that a text
            # search with filters is answered inside the index, without visiting the trials table.
            """CREATE VIRTUAL TABLE trial_search USING fts5(
                title, conditions, keywords, interventions, summary, eligibility, facets,
                tokenize = 'porter unicode61 remove_diacritics 2'
            )""",
            # Relevance by field: a word in the title or conditions says far more than one in the criteria.
            "INSERT INTO trial_search (trial_search, rank) VALUES ('rank', 'bm25(10.0, 10.0, 5.0, 5.0, 2.0, 0.5, 0.0)')",
            *_COMMON_TAIL,
        ),
        postgresql=(
            f"CREATE TABLE trials (id BIGSERIAL PRIMARY KEY, {_TRIALS_COLUMNS}, search_vector tsvector,"
            " condition_vector tsvector)",
            f"CREATE TABLE sites ({_SITES_COLUMNS.replace('trial_id INTEGER', 'trial_id BIGINT')})",
            "CREATE INDEX trials_search ON trials USING GIN (search_vector)",
            "CREATE INDEX trials_condition_search ON trials USING GIN (condition_vector)",
            *_COMMON_TAIL,
        ),
    ),
    Migration(
        2,
        "PostgreSQL: a full-text index of intervention names, for search by intervention",
        # SQLite's FTS5 table already has an interventions column to filter on.
        sqlite=(),
        postgresql=(
            "ALTER TABLE trials ADD COLUMN intervention_vector tsvector",
            """UPDATE trials SET intervention_vector = to_tsvector('english', COALESCE((
                SELECT string_agg(concat_ws(' ', item->>'name', (
                    SELECT string_agg(other, ' ') FROM json_array_elements_text(item->'other_names') other
                )), ' ') FROM json_array_elements(record::json->'interventions') item
            ), ''))""",
            "CREATE INDEX trials_intervention_search ON trials USING GIN (intervention_vector)",
        ),
    ),
    Migration(
        3,
        "referrals and the email outbox",
        sqlite=_REFERRAL_TABLES("INTEGER PRIMARY KEY"),
        postgresql=_REFERRAL_TABLES("BIGSERIAL PRIMARY KEY"),
    ),
    Migration(
        4,
        "plain-language overviews",
        sqlite=_OVERVIEW_TABLES,
        postgresql=_OVERVIEW_TABLES,
    ),
    Migration(
        5,
        "notes and share links",
        sqlite=_NOTE_TABLES,
        postgresql=_NOTE_TABLES,
    ),
    # Version 5 belongs to another feature being built at the same time; 6 follows it whatever lands first.
    Migration(
        6,
        "subscriptions and catalogue changes",
        sqlite=_SUBSCRIPTION_TABLES("INTEGER PRIMARY KEY"),
        postgresql=_SUBSCRIPTION_TABLES("BIGSERIAL PRIMARY KEY"),
    ),
    Migration(
        7,
        "outbox: messages composed when they are sent",
        # A message may hold, instead of its body, what it is about (`payload`, JSON without personal data) and be
        # composed at delivery: an alert run queues thousands of alerts in seconds, and each is written once, as sent.
        sqlite=("ALTER TABLE outbox ADD COLUMN payload TEXT",),
        postgresql=("ALTER TABLE outbox ADD COLUMN payload TEXT",),
    ),
    Migration(
        8,
        "outbox: a claim per message",
        # The sender holding a message (a random token, with `lease_until`): marking the message needs it, so a
        # sender whose lease ran out can never mark, or send, what another sender has taken over.
        sqlite=("ALTER TABLE outbox ADD COLUMN claim TEXT",),
        postgresql=("ALTER TABLE outbox ADD COLUMN claim TEXT",),
    ),
    Migration(
        9,
        "referrals: the fingerprint of a request, to recognise it sent again",
        # A keyed hash (web/contact.py) of the person's address, the trial and the browser: the same request sent
        # again within a day finds the first instead of making a second. Nothing in it can be read back; cleared on
        # withdrawal.
        sqlite=(
            "ALTER TABLE referrals ADD COLUMN duplicate_key TEXT",
            "CREATE INDEX referrals_duplicate ON referrals (duplicate_key, created_at)",
        ),
        postgresql=(
            "ALTER TABLE referrals ADD COLUMN duplicate_key TEXT",
            "CREATE INDEX referrals_duplicate ON referrals (duplicate_key, created_at)",
        ),
    ),
    Migration(
        10,
        "search by concept and by identifier: MeSH concepts and registry and sponsor ids in the full-text index",
        # FTS5 cannot add a column: the index is made again with two more (and its rank with their weights), then
        # filled from the stored records. On PostgreSQL the three vectors take the same tokens.
        sqlite=(
            "DROP TABLE trial_search",
            """CREATE VIRTUAL TABLE trial_search USING fts5(
                title, conditions, keywords, interventions, summary, eligibility, facets, concepts, focus, identifiers,
                tokenize = 'porter unicode61 remove_diacritics 2'
            )""",
            # The weights of storage.search._BM25, as they were when this migration was written.
            "INSERT INTO trial_search (trial_search, rank)"
            " VALUES ('rank', 'bm25(10.0, 10.0, 5.0, 5.0, 2.0, 0.5, 0.0, 2.0, 20.0, 10.0)')",
        ),
        postgresql=(),
        then=lambda conn: reindex_search(conn),
    ),
)


def reindex_search(conn: Connection, *, batch: int = 500) -> int:
    """Write every stored trial's full-text entry again, from its record (`TrialRow`: text, facets, concepts,
    identifiers); on PostgreSQL its three vectors. Returns how many trials."""
    from trialfinder.domain.codec import decode_trial
    from trialfinder.storage.trials import (
        SQLITE_SEARCH_INSERT,
        TrialRow,
        pg_search_values,
        pg_vectors,
        sqlite_search_values,
    )

    done, last = 0, 0
    while True:
        rows = conn.fetchall("SELECT id, record FROM trials WHERE id > $1 ORDER BY id LIMIT $2", (last, batch))
        if not rows:
            return done
        for trial_id, record in rows:
            encoded = record.encode("utf-8")
            row = TrialRow.from_trial(decode_trial(encoded), encoded)
            if conn.dialect == "sqlite":
                conn.execute(SQLITE_SEARCH_INSERT, (trial_id, *sqlite_search_values(row)))
            else:
                search, condition, intervention = pg_vectors(1)
                conn.execute(
                    f"UPDATE trials SET search_vector = {search}, condition_vector = {condition},"
                    f" intervention_vector = {intervention} WHERE id = $12",
                    (*pg_search_values(row), trial_id),
                )
            done += 1
        last = rows[-1][0]


def current_version(conn: Connection) -> int:
    _ensure_table(conn)
    return int(conn.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") or 0)


def pending(conn: Connection) -> list[Migration]:
    version = current_version(conn)
    return [migration for migration in MIGRATIONS if migration.version > version]


def migrate(conn: Connection) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return those applied."""
    applied = []
    for migration in pending(conn):
        with conn.transaction():
            # Re-check inside the write lock: another process may have migrated meanwhile.
            if conn.scalar("SELECT 1 FROM schema_migrations WHERE version = $1", (migration.version,)):
                continue
            for statement in migration.statements(conn.dialect):
                conn.execute(statement)
            if migration.then is not None:
                migration.then(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        applied.append(migration)
    return applied


def _ensure_table(conn: Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
