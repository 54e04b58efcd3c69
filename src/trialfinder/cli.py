"""The `trialfinder` command: thin. It parses options, calls actions and queries, and prints.

Errors become one line on stderr and a non-zero exit code, never a traceback (exit 1: the input or
the environment is wrong; exit 2: usage; exit 3: an internal error, with details only at DEBUG level).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from trialfinder import __version__
from trialfinder.actions import catalogue
from trialfinder.actions.importing import Rejection, import_path
from trialfinder.domain.control_characters import printable
from trialfinder.domain.errors import DomainError
from trialfinder.domain.search import DEFAULT_RADIUS as DEFAULT_MATCH_RADIUS_KM
from trialfinder.domain.search import MAX_RADIUS_KM as MAX_MATCH_RADIUS_KM
from trialfinder.domain.values import is_nct_id, nct_id
from trialfinder.filemodes import loose_permissions
from trialfinder.registries.ctgov_v2.errors import RegistryError
from trialfinder.registries.files import SourceError
from trialfinder.settings import Settings, SettingsError
from trialfinder.storage.database import Database, DatabaseError

log = logging.getLogger("trialfinder.cli")

# `queries.match.MAX_RESULTS` (a test holds them equal): not imported from there, because that module loads the
# eligibility engine and the vocabulary's readers, half a second every command would pay.
MAX_MATCH_RESULTS = 50

# Errors that mean "the user's input or environment is wrong": shown as they are, exit 1.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    SourceError,
    RegistryError,
    DatabaseError,
    SettingsError,
    DomainError,
    OSError,
)


class Context:
    """What every command needs, built once from settings and options."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url, pool_size=self.settings.database_pool_size)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.close()

    def geocoder(self) -> Callable:
        """Fills in site coordinates; the gazetteer is loaded only when a site first lacks them."""
        from trialfinder.geo.gazetteer import SiteGeocoder

        return SiteGeocoder(self.settings.cache_dir)

    def find_place(self, text: str, *, language: str):
        """The gazetteer's best place for what was typed (a city or a postal code, Dutch codes first in Dutch), or a
        one-line error and exit 1 when it knows none. The index is built on first use (said on stderr)."""
        from trialfinder.geo.gazetteer import Gazetteer, shared_gazetteer

        if not Gazetteer.is_cached(self.settings.cache_dir):
            click.echo(f"Building the offline place index, once (kept in {self.settings.cache_dir}).", err=True)
        preferred = ("NL",) if language == "nl" else ()
        places = shared_gazetteer(self.settings.cache_dir).find_place(text, limit=1, preferred_countries=preferred)
        if not places:
            click.echo(
                f"Error: no place called {printable(text[:60])!r} is known. Try a city, such as Amsterdam or"
                " \"Boston, MA\", or a postal code, such as 1066 CX or 02115.",
                err=True,
            )
            sys.exit(1)
        return places[0]

    def open_catalogue(self, *, quiet: bool = False) -> Database:
        """Migrate, and on first use load the starter catalogue, telling the user what is happening."""
        database = self.database
        catalogue.prepare_database(database=database)
        if self.settings.load_starter_catalogue and catalogue.needs_starter_catalogue(database=database):
            self._load_starter_catalogue(database, quiet)
        return database

    def _load_starter_catalogue(self, database: Database, quiet: bool) -> None:
        """The first run: say what is happening at once, then show progress until the catalogue is loaded.

        Sites without coordinates (all legacy XML sites) take their city's from the gazetteer, whose index is built
        once per installation (ten seconds or more). It is built here, in the background, as the import starts: the
        import's first records (API v2, with coordinates) are written meanwhile, and a worker that needs the index
        waits for this one build instead of making its own.
        """
        from trialfinder.geo.gazetteer import Gazetteer

        started = time.monotonic()
        setting = self.settings.starter_catalogue
        starter = catalogue.StarterCatalogue.at(setting) if setting else catalogue.StarterCatalogue.bundled()
        total = starter.records
        if not quiet:
            described = f"{total:,} real trials" if total else str(starter.archive)
            if starter.manifest.get("open"):
                described += f", {starter.manifest['open']:,} of them recruiting or about to"
            click.echo(
                f"First run: loading the starter catalogue ({described}) into {database.url.redacted()}."
                " This happens once and takes about a minute.",
                err=True,
            )
        builder: threading.Thread | None = None
        if not Gazetteer.is_cached(self.settings.cache_dir):
            if not quiet:
                click.echo(
                    f"Building the offline place index for site distances, once (kept in {self.settings.cache_dir}).",
                    err=True,
                )
            builder = threading.Thread(target=_prepare_gazetteer, args=(self.settings.cache_dir,), daemon=True)
            builder.start()

        def waiting_for() -> str | None:
            if builder is not None and builder.is_alive():
                return f"building the place index, {time.monotonic() - started:.0f} s"
            return None

        report = _with_progress(
            total,
            "Loading starter catalogue",
            quiet,
            lambda progress: catalogue.load_starter_catalogue(
                database=database,
                geocode=self.geocoder(),
                starter=starter,
                workers=self.settings.import_workers,
                batch_size=self.settings.import_batch_size,
                on_progress=progress,
            ),
            waiting_for=waiting_for,
        )
        if builder is not None:
            builder.join()
        if not quiet:
            click.echo(
                f"Starter catalogue loaded in {time.monotonic() - started:.0f} s: {report.summary()}.", err=True
            )


def _prepare_gazetteer(cache_dir: Path) -> None:
    from trialfinder.geo.gazetteer import Gazetteer

    try:
        Gazetteer.prepare(cache_dir)
    except Exception:  # the import's own load builds it then, or says why it cannot
        log.warning("could not build the gazetteer index in the background", exc_info=True)


def _with_progress(
    total: int | None,
    label: str,
    quiet: bool,
    run: Callable[[Callable[[int], None]], Any],
    *,
    waiting_for: Callable[[], str | None] | None = None,
) -> Any:
    """Run an action with a progress bar on stderr when it is a terminal, else progress lines (unless quiet).

    A long wait between two steps is never silent: every second the bar's label says what it waits for
    (`waiting_for`, e.g. "building the place index, 12 s"), and without a terminal a line says so every five seconds.
    """
    if quiet:
        return run(lambda position: None)
    lock = threading.Lock()
    if not sys.stderr.isatty():
        lines = _ProgressLines(total, label)

        def advance_line(position: int) -> None:
            with lock:
                lines(position)

        def remind() -> None:
            with lock:
                lines.still(waiting_for() if waiting_for else None)

        return _ticking(remind, lambda: run(advance_line))
    with click.progressbar(length=total or 0, label=label, file=sys.stderr, show_pos=True) as bar:
        seen = 0

        def advance(position: int) -> None:
            nonlocal seen
            with lock:
                if position > seen:
                    bar.update(position - seen)
                    seen = position

        def relabel() -> None:
            note = waiting_for() if waiting_for else None
            with lock:
                wanted = f"{label} ({note})" if note else label
                if bar.label != wanted:
                    bar.label = wanted
                    bar.render_progress()

        return _ticking(relabel, lambda: run(advance))


def _ticking(tick: Callable[[], None], run: Callable[[], Any]) -> Any:
    """`run()`, with `tick()` called every second in another thread meanwhile."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(1.0):
            tick()

    ticker = threading.Thread(target=loop, name="progress", daemon=True)
    ticker.start()
    try:
        return run()
    finally:
        stop.set()
        ticker.join()


class _ProgressLines:
    """Progress as lines, for a stderr that is a log or a pipe rather than a terminal (a service, CI, `| tee`): one
    at the first step, then one per tenth of the total (without a total, at most one per five seconds), and one every
    five seconds while nothing moves (`still`). Nothing at the end: the summary line follows."""

    QUIET_SECONDS = 5

    def __init__(self, total: int | None, label: str):
        self.total = total
        self.label = label
        self.position = 0
        self.last_step: int | None = None
        self.started = self.last_line = time.monotonic()

    def _where(self) -> str:
        if self.total:
            return f"{self.position:,} of {self.total:,} ({self.position * 100 // self.total}%)"
        return f"{self.position:,} so far"

    def _say(self, text: str) -> None:
        click.echo(text, err=True)
        self.last_line = time.monotonic()

    def __call__(self, position: int) -> None:
        self.position = position
        if self.total:
            if position >= self.total:
                return
            step = position * 10 // self.total
            if step != self.last_step:
                self.last_step = step
                self._say(f"{self.label}: {self._where()}")
            return
        if self.last_step is None or time.monotonic() - self.last_line >= self.QUIET_SECONDS:
            self.last_step = position
            self._say(f"{self.label}: {self._where()}")

    def still(self, note: str | None) -> None:
        """Called every second: after five seconds without a line, one that says the work goes on, and on what."""
        if time.monotonic() - self.last_line < self.QUIET_SECONDS:
            return
        elapsed = time.monotonic() - self.started
        self._say(f"{self.label}: {self._where()}; {note or 'still working'} ({elapsed:.0f} s so far)")


def handle_errors(command: Callable) -> Callable:
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except BrokenPipeError:
            # The reader went away (`trialfinder stats | head`): nothing more to say.
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted. Work committed so far is kept; run the same command again to resume.", err=True)
            sys.exit(130)
        except EXPECTED_ERRORS as error:
            click.echo(f"Error: {_one_line(error)}", err=True)
            sys.exit(1)
        except Exception as error:  # the promise: no traceback reaches the user
            log.debug("internal error", exc_info=True)
            click.echo(
                f"Error: internal error ({type(error).__name__}). Run with TRIALFINDER_LOG_LEVEL=DEBUG for details.",
                err=True,
            )
            sys.exit(3)

    return wrapper


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trialfinder")
@click.option(
    "--database",
    metavar="URL",
    help="Catalogue database: sqlite:///path/to/file.db or postgresql://user@host/name. "
    "Default: $TRIALFINDER_DATABASE_URL, else a SQLite file in your data directory.",
)
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """trialfinder: find clinical trials a person could join.

    The catalogue lives in SQLite by default (created on first use, and filled with a starter
    catalogue of real trials) or in PostgreSQL. Settings come from the settings file in the data
    directory (settings.env) and TRIALFINDER_* environment variables, which override it; see
    docs/SETTINGS.md.
    """
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    if database:
        settings = Settings(**{**settings.__dict__, "database_url": database})
    if settings.settings_file is not None:
        # It may hold the SMTP password or the secret key: every command says so when others can read it.
        for line in loose_permissions([settings.settings_file], holds="settings such as passwords"):
            click.echo(f"Warning: {line}", err=True)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if settings.log_level != "DEBUG":
        # When the server goes away psycopg warns that it could not end a pipeline on the dead connection: the
        # one-line "database is unreachable" error already says it all.
        logging.getLogger("psycopg").setLevel(logging.ERROR)
    ctx.obj = Context(settings)
    ctx.call_on_close(ctx.obj.close)  # the pool of PostgreSQL connections, when a command opened one


@main.command("migrate")
@click.pass_obj
@handle_errors
def migrate_command(obj: Context) -> None:
    """Create or upgrade the database schema (other commands do this too, when needed)."""
    applied = catalogue.prepare_database(database=obj.database)
    if applied:
        click.echo(f"Applied migrations {', '.join(map(str, applied))} to {obj.database.url.redacted()}.")
    else:
        click.echo(f"The schema of {obj.database.url.redacted()} is up to date.")


@main.command("import")
@click.argument("path", type=click.Path(exists=False, dir_okay=True, file_okay=True))
@click.option("--batch-size", type=click.IntRange(1, 100_000), help="Records per transaction (default 500).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and rejected records.")
@click.pass_obj
@handle_errors
def import_command(obj: Context, path: str, batch_size: int | None, quiet: bool) -> None:
    """Import registry records from PATH.

    PATH is the ClinicalTrials.gov bulk download (ctg-studies.json.zip), a folder of API v2 JSON
    files, legacy ClinicalTrials.gov XML (an AllPublicXML folder, or a zip or tar.gz of one), or a
    single record file. Importing is idempotent: records are matched by NCT id, and an older version
    never replaces a newer one. An interrupted import resumes when run again. Records that cannot be
    read are listed with the reason and skipped.
    """
    database = obj.open_catalogue(quiet=quiet)

    def rejected(rejection: Rejection) -> None:
        click.echo(f"rejected {rejection.name}: {rejection.reason}", err=True)

    from trialfinder.registries.files import open_source

    total = open_source(path).total
    report = _with_progress(
        total,
        "Importing",
        quiet,
        lambda progress: import_path(
            database=database,
            path=path,
            geocode=obj.geocoder(),
            batch_size=batch_size or obj.settings.import_batch_size,
            workers=obj.settings.import_workers,
            on_progress=progress,
            on_rejection=rejected,
        ),
    )
    if report.resumed_from:
        click.echo(f"Resumed an unfinished import at record {report.resumed_from:,}.")
    click.echo(f"Imported {report.source}: {report.summary()}.")
    if report.warnings and not quiet:
        click.echo(f"{report.warnings:,} unreadable fields were dropped from otherwise valid records.")


@main.command("show")
@click.argument("nct")
@click.option("--json", "as_json", is_flag=True, help="Print the stored trial as JSON.")
@click.pass_obj
@handle_errors
def show_command(obj: Context, nct: str, as_json: bool) -> None:
    """Show one trial (NCT followed by eight digits) in a readable form."""
    from trialfinder.domain.codec import encode_trial
    from trialfinder.queries.trials import find_trial
    from trialfinder.views.trial_text import render_trial

    if not is_nct_id(nct):
        raise click.BadParameter(f"{nct!r} is not an NCT id (NCT followed by eight digits)", param_hint="NCT")
    database = obj.open_catalogue()
    trial = find_trial(database=database, nct_id=nct_id(nct))
    if trial is None:
        click.echo(f"Error: {nct_id(nct)} is not in the catalogue. Try `trialfinder sync` or `trialfinder import`.", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(json.loads(encode_trial(trial)), indent=2, ensure_ascii=False))
    else:
        click.echo(render_trial(trial, width=min(100, click.get_terminal_size()[0] if sys.stdout.isatty() else 100)))


@main.command("match")
@click.option("--text", "text_file", type=click.File("rb"), metavar="FILE", help="A description of the person, in their own words or a clinical note (- reads standard input).")
@click.option("--fhir", "fhir_file", type=click.File("rb"), metavar="FILE", help="The person's record as a FHIR R4 Bundle (JSON).")
@click.option("--near", metavar="PLACE", help="Only trials with an open site near this city or postal code (offline gazetteer).")
@click.option("--radius", type=click.FloatRange(0, MAX_MATCH_RADIUS_KM, min_open=True), metavar="KM", help=f"How far from PLACE, in km (default {DEFAULT_MATCH_RADIUS_KM}).")
@click.option("--language", type=click.Choice(["en", "nl"]), default="en", show_default=True, help="The language of the description, and of the questions.")
@click.option("--status", "statuses", multiple=True, metavar="STATUS", help="Only trials with this overall status (repeatable; default: recruiting and not yet recruiting).")
@click.option("--limit", type=click.IntRange(1, MAX_MATCH_RESULTS), default=20, show_default=True, help="How many trials at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the shape of POST /api/match).")
@click.pass_obj
@handle_errors
def match_command(
    obj: Context,
    text_file,
    fhir_file,
    near: str | None,
    radius: float | None,
    language: str,
    statuses: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """Trials a person could join, best first, read from a description (--text) or a FHIR record (--fhir).

    Each trial's criteria are checked against what was read: how many the person meets, does not meet, and which
    are still open (questions for their doctor). Nothing read is stored or logged.
    """
    from datetime import date

    from trialfinder.domain.search import DEFAULT_STATUSES
    from trialfinder.domain.trial import RecruitmentStatus
    from trialfinder.matching import EmptyDescription, patient_from_fhir, patient_from_text
    from trialfinder.queries.match import MatchRequest, match, results_json

    if (text_file is None) == (fhir_file is None):
        raise click.UsageError("give one of --text FILE and --fhir FILE")
    if radius is not None and near is None:
        raise click.UsageError("--radius needs --near PLACE")
    codes = _registry_statuses(statuses)
    today = date.today()
    try:
        if text_file is not None:
            try:
                text = text_file.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                click.echo(f"Error: {_file_name(text_file)} is not UTF-8 text.", err=True)
                sys.exit(1)
            patient = patient_from_text(text, language=language, today=today)
        else:
            patient = patient_from_fhir(fhir_file.read())
    except EmptyDescription as error:
        click.echo(f"Error: {_one_line(error)}", err=True)
        sys.exit(1)
    place = obj.find_place(near, language=language) if near is not None else None
    request = MatchRequest(
        patient,
        today,
        statuses=tuple(RecruitmentStatus(code) for code in codes) or DEFAULT_STATUSES,
        point=place.point if place else None,
        radius_km=radius if radius is not None else DEFAULT_MATCH_RADIUS_KM,
        limit=limit,
        language=language,
    )
    results = match(database=obj.open_catalogue(quiet=as_json), request=request)
    body = results_json(results, near=place.label if place else None)
    if as_json:
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for line in _match_lines(body):
        click.echo(line)


def _file_name(file) -> str:
    name = getattr(file, "name", "-")
    return "standard input" if name in ("-", "<stdin>") else printable(str(name))


def _match_lines(body: dict[str, Any]) -> list[str]:
    """`match`'s answer, readable: what was read, then each trial with its counts, its nearest site and the questions
    still open. What the person wrote is shown only to them, here, with control characters escaped."""
    from trialfinder.domain.trial import RecruitmentStatus
    from trialfinder.views import labels

    def clean(text: str) -> str:
        return printable(" ".join(str(text).split()))

    read = [f"{clean(fact['text'])} ({fact['kind']})" for fact in body["facts"]]
    lines = [
        "Searched for: " + (", ".join(body["searched"]) or "no condition was recognised")
        + (". Read: " + "; ".join(read) if read else "")
        + "."
    ]
    for problem in body["problems"]:
        lines.append(f"Not read from the record: {clean(problem)}")
    statuses = ", ".join(labels.STATUS.get(RecruitmentStatus(code), code).lower() for code in body["statuses"])
    where = ""
    if body["near"] is not None:
        where = f", with an open site within {body['near']['radius_km']:g} km of {clean(body['near']['label'])}"
    results = body["results"]
    if not results:
        lines.append(f"No {statuses} trials found{where}.")
        return lines
    lines.append(
        f"{len(results)} trial{'s' if len(results) != 1 else ''}, best first, of {body['candidates']} screened"
        f" ({statuses}{where}):"
    )
    for rank, item in enumerate(results, 1):
        counts = item["criteria"]
        status = labels.STATUS.get(RecruitmentStatus(item["status"]), item["status"])
        lines += [
            "",
            f"{rank}. {item['nct_id']}  {clean(item['title'])}",
            f"   {status}; score {item['score']:.2f}; meets {counts['met']}, does not meet {counts['not_met']},"
            f" unknown {counts['unknown']}",
        ]
        site = item["nearest_site"]
        if site is not None:
            named = ", ".join(clean(part) for part in (site["facility"], site["city"], site["country"]) if part)
            lines.append(f"   Nearest open site: {named or 'a site without a name'} ({site['distance_km']:.0f} km)")
        for because in item["not_met_because"]:
            lines.append(f"   Does not meet: {clean(because)}")
        if item["ask"]:
            lines.append("   Ask your doctor about:")
            lines += [f"   - {clean(question)}" for question in item["ask"]]
    return lines


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--top", type=click.IntRange(1, 500), default=15, show_default=True, help="How many countries to list.")
@click.pass_obj
@handle_errors
def stats_command(obj: Context, as_json: bool, top: int) -> None:
    """Counts by status, phase and country, and how fresh the data is."""
    from trialfinder.queries.stats import catalogue_stats

    database = obj.open_catalogue()
    stats = catalogue_stats(database=database)
    if as_json:
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
        return
    click.echo(f"Trials: {stats['trials']:,}")
    from trialfinder.domain.trial import Phase, RecruitmentStatus
    from trialfinder.views import labels

    def status_label(code: str) -> str:
        return labels.STATUS.get(RecruitmentStatus(code), code) if code in RecruitmentStatus.__members__ else code

    def phase_label(codes: str) -> str:
        if codes == "NOT_GIVEN":
            return labels.phases(())
        parts = codes.split("/")
        return labels.phases(tuple(Phase(p) for p in parts)) if all(p in Phase.__members__ for p in parts) else codes

    for title, key, label_of in (("By status", "by_status", status_label), ("By phase", "by_phase", phase_label)):
        click.echo(f"\n{title}:")
        for code, count in stats[key].items():
            click.echo(f"  {label_of(code):<28} {count:>9,}")
    click.echo(f"\nBy country of their sites (top {top}):")
    for label, count in list(stats["by_country"].items())[:top]:
        click.echo(f"  {label:<28} {count:>9,}")
    fresh = stats["freshness"]
    click.echo("\nFreshness:")
    newest = fresh["newest_registry_update"]
    age = _age(fresh["newest_update_age_days"])
    click.echo(f"  newest registry update       {newest + (f', {age}' if age else '') if newest else '-'}")
    click.echo(f"  oldest registry update       {fresh['oldest_registry_update'] or '-'}")
    click.echo(f"  last written here            {fresh['last_written'] or '-'}")
    for scope, cursor in fresh["sync_cursors"].items():
        click.echo(f"  synced up to                 {cursor}  ({scope})")
    if not fresh["sync_cursors"]:
        click.echo("  synced                       never: run `trialfinder sync` for the registry's current records")
    click.echo(f"  last import                  {fresh['last_import'] or '-'}")


def _age(days: int | None) -> str | None:
    """`today`, `5 days ago`, `13 months ago`, `3 years ago`: how old the newest record is, in words."""
    if days is None:
        return None
    if days <= 0:
        return "today"
    if days < 61:
        return f"{days} day{'s' if days != 1 else ''} ago"
    months = round(days / 30.44)
    if months < 24:
        return f"{months} months ago"
    return f"{days // 365} years ago"


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.pass_obj
@handle_errors
def serve_command(obj: Context, host: str, port: int) -> None:
    """Run the website: trial search, trial pages, the FAQ and the JSON API under /api/.

    On first use the catalogue is created and filled with the starter catalogue, so a fresh install
    shows real trials. Stop it with Ctrl+C. The server keeps no access log of its own: what a person
    searches for is in the query string, and that is never logged.
    """
    import uvicorn

    from trialfinder.web.app import create_app

    _check_can_listen(host, port)  # before the catalogue loads: a busy port is a one-line error at once
    database = obj.open_catalogue()
    app = create_app(obj.settings, database, run_jobs_in_background=True, base_url=f"http://{host}:{port}")
    click.echo(f"trialfinder is serving {database.url.redacted()} at http://{host}:{port}/ (Ctrl+C stops it).", err=True)
    click.echo(_settings_source(obj.settings), err=True)
    click.echo(_email_status(obj.settings), err=True)
    for line in loose_permissions(_private_paths(obj.settings, database)):
        click.echo(f"Warning: {line}", err=True)
    if not obj.settings.public_url:
        allowed = ", ".join(("localhost", *obj.settings.allowed_hosts))
        click.echo(
            "Links in emails: TRIALFINDER_PUBLIC_URL is not set, so forms that email links (contact, alerts, notes)"
            f" work only through {allowed}; through any other host they send nothing. Set it to the site's public"
            " address.",
            err=True,
        )
    if not obj.settings.referral_inbox:
        click.echo(
            "Referrals: TRIALFINDER_REFERRAL_INBOX is not set, so trials whose registry record gives no contact email"
            " take no requests through the contact form.",
            err=True,
        )
    try:
        # uvicorn's access log would write every URL, query string included: it stays off (the app logs method,
        # path and status at INFO). log_config=None keeps the one-line log format `main` set up.
        uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, server_header=False)
    except SystemExit as stop:
        # uvicorn exits 3 when it cannot start (it has logged why, in one line): that is the environment, exit 1.
        sys.exit(1 if stop.code not in (0, None) else 0)


def _private_paths(settings: Settings, database) -> list[Path]:
    """The files and folders that hold personal data, whose modes `serve` checks at start."""
    paths = [settings.data_dir, settings.data_dir / "secret.key", settings.mail_dir or settings.data_dir / "mail"]
    if database.url.path is not None:
        paths += [Path(f"{database.url.path}{end}") for end in ("", "-wal", "-shm")]
    return list(dict.fromkeys(paths))


def _settings_source(settings: Settings) -> str:
    from trialfinder.settings import SETTINGS_FILE_NAME

    if settings.settings_file is not None:
        return (
            f"Settings: read {settings.settings_file}; TRIALFINDER_* environment variables override it. Every command"
            " (notify, outbox, sync...) reads the same file."
        )
    return (
        f"Settings: from TRIALFINDER_* environment variables only (no settings file at"
        f" {settings.data_dir / SETTINGS_FILE_NAME}). Commands run from another shell see only what is in their own"
        " environment: put settings that every command needs, such as the SMTP server, in that file."
    )


def _email_status(settings: Settings) -> str:
    from trialfinder.notifications.senders import sender_from_settings

    sender = sender_from_settings(settings)
    if settings.smtp_host:
        return f"Email: sent through the {sender.description}."
    return (
        "Email: no SMTP server is set (TRIALFINDER_SMTP_HOST), so messages stay in the outbox and are written as"
        f" .eml files to {settings.mail_dir or settings.data_dir / 'mail'}; open them with any mail program."
    )


def _check_can_listen(host: str, port: int) -> None:
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except OSError as error:
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


@main.command("sync")
@click.option("--condition", metavar="TEXT", help="Only studies of this condition (the API's query.cond).")
@click.option("--term", metavar="TEXT", help="Only studies matching these words (the API's query.term).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help="Only studies with this overall status, e.g. RECRUITING (repeat for several).",
)
@click.option("--since", metavar="YYYY-MM-DD", help="Fetch studies updated on or after this day, whatever the cursor.")
@click.option("--full", is_flag=True, help="Ignore the stored cursor and fetch everything in scope.")
@click.option("--page-size", type=click.IntRange(1, 1000), default=1000, show_default=True, help="Studies per request.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and rejected records.")
@click.pass_obj
@handle_errors
def sync_command(
    obj: Context,
    condition: str | None,
    term: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    full: bool,
    page_size: int,
    quiet: bool,
) -> None:
    """Fetch new and changed studies from the ClinicalTrials.gov API v2.

    Incremental: the first sync of a scope fetches everything in it; later ones only what was
    updated since the registry snapshot the previous sync saw. Without --condition, --term or
    --status the scope is the whole registry (over half a million studies: hours, not minutes).
    Transient failures (HTTP 429 and 5xx, timeouts, cut-off answers) are retried with backoff.
    """
    from trialfinder.actions.syncing import sync
    from trialfinder.domain.values import PartialDate
    from trialfinder.registries.ctgov_v2.client import CtgovClient

    if since is not None:
        try:
            PartialDate.parse(since)
        except DomainError:
            raise click.BadParameter(f"{since!r} is not a date (YYYY-MM-DD)", param_hint="--since") from None
    statuses = _registry_statuses(statuses)  # before the catalogue is opened and anything goes online
    database = obj.open_catalogue(quiet=quiet)

    def page_done(report) -> None:
        if not quiet:
            total = f" of {report.total:,}" if report.total is not None else ""
            done = report.counts.total
            click.echo(f"page {report.pages}: {done:,}{total} studies", err=True)

    def rejected(rejection: Rejection) -> None:
        click.echo(f"rejected {rejection.name}: {rejection.reason}", err=True)

    with CtgovClient(obj.settings.ctgov_api_url, max_retries=obj.settings.sync_max_retries) as client:
        report = sync(
            database=database,
            client=client,
            geocode=obj.geocoder(),
            condition=condition,
            term=term,
            statuses=statuses,
            since=since,
            full=full,
            page_size=page_size,
            on_page=page_done,
            on_rejection=rejected,
        )
    counts = report.counts
    click.echo(
        f"Synced {report.pages} page(s): {counts.added:,} added, {counts.updated:,} updated, "
        f"{counts.unchanged:,} unchanged, {counts.rejected:,} rejected"
        + (f", {counts.stale:,} older than the stored version" if counts.stale else "")
        + f". Cursor: {report.previous_cursor or 'none'} -> {report.new_cursor}."
    )


def _registry_statuses(values: tuple[str, ...]) -> tuple[str, ...]:
    """The --status values as the registry spells them (`recruiting`, `not yet recruiting` -> RECRUITING,
    NOT_YET_RECRUITING); any other value is a usage error, one line and exit 2."""
    from trialfinder.domain.trial import RecruitmentStatus

    statuses = []
    for value in values:
        code = "_".join(value.replace("-", " ").replace(",", " ").upper().split())
        if code not in RecruitmentStatus.__members__:
            known = ", ".join(status.value for status in RecruitmentStatus)
            click.echo(f"Error: --status {value[:60]!r} is not a ClinicalTrials.gov status; use one of {known}.", err=True)
            sys.exit(2)
        statuses.append(code)
    return tuple(dict.fromkeys(statuses))


@main.command("outbox")
@click.option("--retry", "retry", is_flag=True, help="Queue every failed message again and try to send it now.")
@click.option("--retry-id", "retry_ids", type=int, multiple=True, metavar="ID", help="Queue this failed message again (repeatable).")
@click.option("--send", "send_now", is_flag=True, help="Send the messages that are due now, then list.")
@click.option("--all", "show_all", is_flag=True, help="List sent messages too, not only waiting and failed ones.")
@click.pass_obj
@handle_errors
def outbox_command(obj: Context, retry: bool, retry_ids: tuple[int, ...], send_now: bool, show_all: bool) -> None:
    """List the email outbox: messages waiting to be sent and those that failed, with the reason.

    Recipients are shown masked (j***@example.org). A failed message stays until it is queued again with
    --retry (all) or --retry-id; --send delivers what is due at once, without waiting for the server's schedule.
    """
    from trialfinder.actions.email_writer import EmailWriter
    from trialfinder.actions.notify import alert_composer
    from trialfinder.actions.outbox import deliver_due, requeue_failed
    from trialfinder.notifications.senders import sender_from_settings
    from trialfinder.queries.outbox import outbox_listing

    database = obj.open_catalogue(quiet=True)
    if retry or retry_ids:
        count = requeue_failed(database=database, ids=() if retry else retry_ids)
        click.echo(f"Queued again: {count} message{'s' if count != 1 else ''}.", err=True)
    if retry or retry_ids or send_now:
        writer, sender = EmailWriter.from_settings(obj.settings), sender_from_settings(obj.settings)
        # Alerts are composed as they are sent, with the site's templates and links.
        report = deliver_due(database=database, sender=sender, compose=alert_composer(database=database, writer=writer))
        click.echo(f"Sent {report.sent}, to retry later {report.retrying}, failed {report.failed} ({sender.description}).", err=True)
    states = ("pending", "failed", "sent") if show_all else ("pending", "failed")
    messages, counts = outbox_listing(database=database, states=states)
    click.echo(
        "Outbox: "
        + ", ".join(f"{counts.get(state, 0)} {label}" for state, label in (("pending", "waiting"), ("failed", "failed"), ("sent", "sent")))
    )
    for message in messages:
        line = f"#{message.id}  {message.state:<7}  {message.kind:<15}  to {_mask(message.recipient)}  tries {message.attempts}"
        if message.state == "pending":
            line += f"  next {message.next_attempt_at}"
        if message.last_error:
            line += f"  last error: {message.last_error}"
        click.echo(line)


def _mask(address: str) -> str:
    """j***@example.org: enough for an operator to tell messages apart, not a list of people's addresses."""
    local, at, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


@main.command("referrals")
@click.option("--state", type=click.Choice(["waiting", "contacted", "withdrawn"]), help="Only referrals in this state.")
@click.pass_obj
@handle_errors
def referrals_command(obj: Context, state: str | None) -> None:
    """List referrals (newest first) with their trial, site and state: which are still waiting for the study team.

    Shows no personal details: the team's email has them.
    """
    from trialfinder.queries.referrals import referral_listing

    database = obj.open_catalogue(quiet=True)
    referrals = referral_listing(database=database, state=state)
    click.echo(f"{len(referrals)} referral{'s' if len(referrals) != 1 else ''}" + (f" {state}" if state else "") + ".")
    for referral in referrals:
        site = referral.site_label or "(site without a name)" if referral.site_key else "(the trial as a whole)"
        click.echo(f"#{referral.id}  {referral.created_at}  {referral.nct_id}  {referral.state:<9}  {referral.route:<8}  {site}")


@main.command("purge")
@click.pass_obj
@handle_errors
def purge_command(obj: Context) -> None:
    """Delete referrals older than the retention period (TRIALFINDER_REFERRAL_RETENTION_DAYS), with their emails
    (and the .eml copies of every email older than that), and private notes and share links unused for
    TRIALFINDER_NOTES_RETENTION_DAYS.

    `serve` does this on its own every few hours; this command is for a cron job or a one-off.
    """
    from trialfinder.actions import notes as note_actions
    from trialfinder.actions.referrals import purge
    from trialfinder.notifications.senders import sender_from_settings

    database = obj.open_catalogue(quiet=True)
    days = obj.settings.referral_retention_days
    deleted = purge(database=database, retention_days=days, mail=sender_from_settings(obj.settings))
    click.echo(f"Deleted {deleted} referral{'s' if deleted != 1 else ''} older than {days} days.")
    note_days = obj.settings.notes_retention_days
    notes, links = note_actions.purge(database=database, retention_days=note_days)
    click.echo(
        f"Deleted {notes} note{'s' if notes != 1 else ''} and {links} share link{'s' if links != 1 else ''}"
        f" unused for {note_days} days."
    )


@main.command("notify")
@click.option("--no-send", is_flag=True, help="Queue the alerts in the outbox but do not send them now.")
@click.pass_obj
@handle_errors
def notify_command(obj: Context, no_send: bool) -> None:
    """Email subscribers about trials that newly match their saved searches: run it after an import or sync.

    Matches the catalogue's changes since the last run against every confirmed subscription, queues each
    subscriber's alert when it is due (at once, or as a daily or weekly digest), and sends what is due. Each
    trial reaches a subscription once: running it twice sends nothing twice. Also deletes sign-ups never
    confirmed within TRIALFINDER_SUBSCRIPTION_CONFIRM_DAYS. `serve` does the same every five minutes.
    Links in the emails use TRIALFINDER_PUBLIC_URL.
    """
    from trialfinder.actions.email_writer import EmailWriter
    from trialfinder.actions.notify import alert_composer, alert_run
    from trialfinder.actions.outbox import deliver_due
    from trialfinder.notifications.senders import sender_from_settings

    database = obj.open_catalogue(quiet=True)
    writer, sender = EmailWriter.from_settings(obj.settings), sender_from_settings(obj.settings)
    report = alert_run(database=database, confirm_days=obj.settings.subscription_confirm_days)
    click.echo(
        f"Matched {report.changes:,} change(s) of {report.trials:,} trial(s) against {report.subscriptions:,}"
        f" subscription(s): {report.matched:,} new match(es), {report.emails:,} alert(s) queued."
    )
    if not no_send:
        delivery = deliver_due(database=database, sender=sender, compose=alert_composer(database=database, writer=writer))
        click.echo(f"Sent {delivery.sent}, to retry later {delivery.retrying}, failed {delivery.failed} ({sender.description}).")


@main.command("overviews")
@click.option("--model", "use_model", is_flag=True, help="Write them with the language model set in TRIALFINDER_OVERVIEW_MODEL_URL and _NAME (checked against each record; the built-in text where it fails).")
@click.option("--trial", "nct_ids", multiple=True, metavar="NCT_ID", help="Only this trial (repeatable); default: the whole catalogue.")
@click.option("--quiet", is_flag=True, help="Print only the summary line.")
@click.pass_obj
@handle_errors
def overviews_command(obj: Context, use_model: bool, nct_ids: tuple[str, ...], quiet: bool) -> None:
    """Write the plain-language overviews (English and Dutch) of trials whose record is new or changed.

    Pages write a missing built-in overview on first view; this writes them ahead of time, and is how model-written
    overviews are made (a model is never called while a page waits). Already current overviews are skipped.
    """
    from trialfinder.actions.overviews import write_overviews
    from trialfinder.overview.language_model import ChatClient, LanguageModelGenerator, endpoint_from_settings

    for value in nct_ids:
        if not is_nct_id(value):
            raise click.BadParameter(f"{value!r} is not an NCT id (NCT followed by eight digits)", param_hint="--trial")
    database = obj.open_catalogue(quiet=quiet)
    wanted = [nct_id(value) for value in nct_ids] or None
    if use_model:
        endpoint = endpoint_from_settings(obj.settings)
        if endpoint is None:
            raise click.UsageError("--model needs TRIALFINDER_OVERVIEW_MODEL_URL and TRIALFINDER_OVERVIEW_MODEL_NAME")
        with ChatClient(endpoint) as client:
            report = write_overviews(database=database, nct_ids=wanted, generator=LanguageModelGenerator(client))
    else:
        report = write_overviews(database=database, nct_ids=wanted)
    click.echo(f"Overviews: {report.summary()}.")
