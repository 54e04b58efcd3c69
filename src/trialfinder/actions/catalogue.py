"""Opening the catalogue: migrate the schema, and fill an empty catalogue with the bundled starter trials."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trialfinder.actions.catalogue_writer import Geocoder
from trialfinder.actions.importing import ImportReport, OnRejection, Progress, import_path
from trialfinder.registries.files import SourceError, open_source
from trialfinder.storage.bookkeeping import KeyValues
from trialfinder.storage.database import Database
from trialfinder.storage.migrations import migrate
from trialfinder.storage.trials import TrialStore

log = logging.getLogger("trialfinder.actions.catalogue")

STARTER_ARCHIVE = "starter-catalogue.tar.xz"
STARTER_MANIFEST = "starter-catalogue.json"
STARTER_LOADED_KEY = "starter_catalogue_loaded"
_ARCHIVE_ENDINGS = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tar", ".zip")


@dataclass(frozen=True)
class StarterCatalogue:
    archive: Path
    manifest: dict

    @classmethod
    def bundled(cls) -> StarterCatalogue:
        folder = resources.files("trialfinder") / "data"
        archive = Path(str(folder / STARTER_ARCHIVE))
        manifest = json.loads((folder / STARTER_MANIFEST).read_text(encoding="utf-8"))
        return cls(archive, manifest)

    @classmethod
    def at(cls, path: Path) -> StarterCatalogue:
        """Another starter catalogue (TRIALFINDER_STARTER_CATALOGUE): anything `import` reads (an archive, a folder
        of records, one record file). An archive's manifest is the `.json` file of the same name beside it
        (`mine.tar.xz` -> `mine.json`), when there is one."""
        path = Path(path).expanduser()
        manifest: dict = {}
        ending = next((end for end in _ARCHIVE_ENDINGS if path.name.lower().endswith(end)), None)
        if ending is not None:
            beside = path.with_name(path.name[: -len(ending)] + ".json")
            if beside.is_file():
                try:
                    manifest = json.loads(beside.read_text(encoding="utf-8"))
                except (ValueError, OSError) as error:
                    raise SourceError(f"{beside}: not a readable starter-catalogue manifest ({error})") from None
        return cls(path, manifest)

    @property
    def records(self) -> int | None:
        """How many records it holds: the manifest's count, else what the source tells without being read."""
        count = self.manifest.get("records")
        return int(count) if isinstance(count, int) else open_source(self.archive).total


def prepare_database(*, database: Database) -> list[int]:
    """Bring the schema up to date; returns the versions applied (empty when it was current)."""
    with database.connect() as conn:
        applied = [migration.version for migration in migrate(conn)]
    if applied:
        log.info("migrated database=%s versions=%s", database.url.redacted(), applied)
    return applied


def needs_starter_catalogue(*, database: Database) -> bool:
    """True the first time: the catalogue is empty and the starter catalogue was never loaded into it."""
    with database.connect() as conn:
        if KeyValues(conn, "catalogue_meta").get(STARTER_LOADED_KEY):
            return False
        return TrialStore(conn).count() == 0


def load_starter_catalogue(
    *,
    database: Database,
    geocode: Geocoder | None = None,
    starter: StarterCatalogue | None = None,
    workers: int = 0,
    batch_size: int = 500,
    on_progress: Progress | None = None,
    on_rejection: OnRejection | None = None,
) -> ImportReport:
    """Import the bundled starter catalogue and remember that it was loaded (so a purge does not reload it)."""
    catalogue = starter or StarterCatalogue.bundled()
    report = import_path(
        database=database,
        path=catalogue.archive,
        geocode=geocode,
        workers=workers,
        batch_size=batch_size,
        on_progress=on_progress,
        on_rejection=on_rejection,
        source_label=f"starter catalogue {catalogue.manifest.get('built', '')}".strip(),
    )
    with database.connect() as conn, conn.transaction():
        KeyValues(conn, "catalogue_meta").set(STARTER_LOADED_KEY, catalogue.manifest.get("built", "yes"))
    return report
