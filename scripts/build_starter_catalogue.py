"""Build the starter catalogue that the package ships (src/trialfinder/data/starter-catalogue.tar.xz).

Usage: python scripts/build_starter_catalogue.py [--shared ../shared]

It packs real registry records, unchanged, into one xz-compressed tar that `trialfinder` imports the
first time its database is empty, through the same importer as `trialfinder import`:
  - the reference trial, shared/seed/NCT06857773.json (ClinicalTrials.gov API v2 JSON);
  - shared/data/ctgov/v2/*.json (11 API v2 records);
  - shared/data/ctgov/v2-collected/studies.jsonl.xz (1,458 API v2 records, one per line; each becomes a file);
  - shared/data/ctgov/legacy-xml.tar.gz (6,786 legacy ClinicalTrials.gov XML records, AllPublicXML layout).
A trial in several of them is packed once: the version with the latest last-update date wins; on a tie an API v2
record beats a legacy XML one, and an earlier source in the list above beats a later one.

Records the importer's geocoder leaves alone come first in the archive (no site, or sites with coordinates and no
postal code: `trialfinder.geo.gazetteer.needs_gazetteer`), API v2 before legacy XML; then the others. The first-run
import writes the first ones while the gazetteer index that the others need is being built. The script runs with the
project's virtualenv (`make starter-catalogue`): it maps each record with trialfinder's own mapping to tell.
Next to it, starter-catalogue.json records what went in, from where, under which licence, and how old each part is.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import re
import tarfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "trialfinder" / "data"
V2, XML = "ClinicalTrials.gov API v2 JSON", "legacy ClinicalTrials.gov XML"
OPEN = ("RECRUITING", "NOT_YET_RECRUITING")
CTGOV_TERMS = (
    "ClinicalTrials.gov content (U.S. National Library of Medicine), under its terms:"
    " https://clinicaltrials.gov/about-site/terms-conditions"
)


@dataclass(frozen=True)
class Part:
    key: str
    what: str
    format: str
    source: str
    licence: str
    credits: list[str]


PARTS = [
    Part(
        "seed",
        "the reference trial NCT06857773 (PUMP-IT RCT)",
        V2,
        "shared/seed/NCT06857773.json",
        "assembled from the trial's public listings (see shared/seed/README.md); " + CTGOV_TERMS,
        [],
    ),
    Part(
        "v2",
        "2025 oncology records, and NCT02513394 (PALLAS) with results",
        V2,
        "shared/data/ctgov/v2 (see its README)",
        CTGOV_TERMS + "; gathered by repositories under the MIT and Apache-2.0 licences",
        [
            "PancrePal-xiaoyibao/xiaoyibao-clinical-trials-mcp-server@158c3c635cd108b165ebef6d741eb401a9a66e5b (MIT)",
            "mcode/clinical-trial-matching-service@7d4f3df91f8ff2d250962a2adbf0ceb6e9f830f9 (Apache-2.0)",
        ],
    ),
    Part(
        "collected",
        "API v2 records gathered from nine public repositories (urology, lung cancer, digital therapeutics,"
        " herniated discs, skin type studies, trials in India...)",
        V2,
        "shared/data/ctgov/v2-collected/studies.jsonl.xz (see its README)",
        CTGOV_TERMS + "; the records are unchanged; 3 of the 9 repositories have an MIT licence file, 6 none",
        [],  # read from the README below
    ),
    Part(
        "legacy",
        "legacy AllPublicXML records (NCT00000102 to NCT0049xxxx), mostly older, completed trials",
        XML,
        "shared/data/ctgov/legacy-xml.tar.gz (ClinicalTrials.gov AllPublicXML)",
        CTGOV_TERMS + "; the repository it came from has no licence file",
        ["reesewang25/enrollment_and_studylength@5c5cc15dee126c927c3438199d61e9069d9a7ce6 (no licence file)"],
    ),
]


@dataclass(frozen=True)
class Record:
    part: str
    name: str  # member name in the archive
    nct_id: str
    last_update: str  # YYYY-MM-DD, or "" when the record gives none
    status: str
    data: bytes
    needs_gazetteer: bool  # the importer's geocoder will look its sites up (see `needs_gazetteer` below)


def v2_record(part: str, data: bytes) -> Record:
    study = json.loads(data)
    protocol = study["protocolSection"]
    status = protocol["statusModule"]
    nct = protocol["identificationModule"]["nctId"]
    updated = status.get("lastUpdatePostDateStruct", {}).get("date", "")
    name = f"v2/{nct}.json"
    status_code = status.get("overallStatus", "UNKNOWN")
    return Record(part, name, nct, _iso(updated), status_code, data, needs_gazetteer(name, data, "ctgov-v2"))


_LEGACY_STATUS = {"Unknown status": "UNKNOWN"}


def xml_record(name: str, data: bytes) -> Record:
    nct = _tag(data, "nct_id")
    status = _tag(data, "overall_status")
    status = _LEGACY_STATUS.get(status, status.upper().replace(" ", "_").replace(",", ""))
    updated = _iso(_tag(data, "last_update_posted"))
    return Record("legacy", name, nct, updated, status, data, needs_gazetteer(name, data, "ctgov-xml"))


def needs_gazetteer(name: str, data: bytes, kind: str) -> bool:
    """Whether importing the record will need the gazetteer index, as the importer decides it."""
    from trialfinder.geo import gazetteer
    from trialfinder.registries.files import RawRecord
    from trialfinder.registries.records import to_trial

    return gazetteer.needs_gazetteer(to_trial(RawRecord(name, kind, data)))


def _tag(data: bytes, tag: str) -> str:
    match = re.search(rb"<" + tag.encode() + rb"(?:\s[^>]*)?>([^<]*)<", data)
    return match.group(1).decode().strip() if match else ""


def _iso(value: str) -> str:
    """`2025-09-16`, `2025-09`, `June 24, 2005` or `June 2005` as YYYY-MM-DD (a month as its first day)."""
    for pattern in ("%Y-%m-%d", "%Y-%m", "%B %d, %Y", "%B %Y"):
        try:
            return datetime.strptime(value.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return ""


def read_sources(shared: Path) -> list[Record]:
    records = [v2_record("seed", (shared / "seed" / "NCT06857773.json").read_bytes())]
    for path in sorted((shared / "data" / "ctgov" / "v2").glob("NCT*.json")):
        records.append(v2_record("v2", path.read_bytes()))
    with lzma.open(shared / "data" / "ctgov" / "v2-collected" / "studies.jsonl.xz", "rb") as lines:
        for line in lines:
            if line.strip():
                records.append(v2_record("collected", line.rstrip(b"\n")))
    with tarfile.open(shared / "data" / "ctgov" / "legacy-xml.tar.gz", "r:gz") as legacy:
        for member in legacy:
            if member.isfile() and member.name.endswith(".xml"):
                records.append(xml_record(member.name, legacy.extractfile(member).read()))  # type: ignore[union-attr]
    return records


def newest(records: list[Record]) -> tuple[list[Record], Counter]:
    """One record per NCT id: the latest last update; then API v2 over legacy XML; then the earlier part."""
    order = {part.key: index for index, part in enumerate(PARTS)}
    best: dict[str, Record] = {}
    for record in records:
        held = best.get(record.nct_id)
        if held is None or _rank(record, order) > _rank(held, order):
            best[record.nct_id] = record
    replaced = Counter(record.part for record in records if best[record.nct_id] is not record)
    return list(best.values()), replaced


def _rank(record: Record, order: dict[str, int]) -> tuple:
    return (record.last_update, record.name.startswith("v2/"), -order[record.part])


def collected_credits(shared: Path) -> list[str]:
    """The source table of v2-collected/README.md: `owner/name@commit (records, licence)`."""
    text = (shared / "data" / "ctgov" / "v2-collected" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*([\w.-]+/[\w.-]+)\s*\|\s*([0-9a-f]{40})\s*\|\s*(\d+)\s*\|\s*(\w[^|]*?)\s*\|$", text, re.M)
    return [f"{repo}@{commit} ({count} records; licence: {licence})" for repo, commit, count, licence in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    shared: Path = args.shared

    every = read_sources(shared)
    kept, replaced = newest(every)
    # What the import can write before the gazetteer index is built first; API v2 before legacy XML; by name.
    kept.sort(key=lambda record: (record.needs_gazetteer, not record.name.startswith("v2/"), record.name))

    OUT.mkdir(parents=True, exist_ok=True)
    archive = OUT / "starter-catalogue.tar.xz"
    # Fixed timestamps and ordering make the archive reproducible byte for byte.
    with tarfile.open(archive, "w:xz", preset=9) as tar:
        for record in kept:
            info = tarfile.TarInfo(record.name)
            info.size = len(record.data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(record.data))

    credits = {part.key: part.credits for part in PARTS}
    credits["collected"] = collected_credits(shared)
    parts = []
    for part in PARTS:
        mine = [record for record in kept if record.part == part.key]
        updates = sorted(record.last_update for record in mine if record.last_update)
        entry = {
            "what": part.what,
            "format": part.format,
            "count": len(mine),
            "read": sum(1 for record in every if record.part == part.key),
            "replaced_by_newer_version": replaced.get(part.key, 0),
            "open": sum(1 for record in mine if record.status in OPEN),
            "newest_last_update": updates[-1] if updates else None,
            "oldest_last_update": updates[0] if updates else None,
            "source": part.source,
            "licence": part.licence,
            "credits": credits[part.key],
        }
        if part.key == "legacy":
            entry["registry_snapshot"] = "ClinicalTrials.gov processed this data on February 03, 2023"
        parts.append(entry)
    statuses = Counter(record.status for record in kept)
    updated = sorted(record.last_update for record in kept if record.last_update)
    manifest = {
        "built": datetime.now(UTC).strftime("%Y-%m-%d"),
        "archive": archive.name,
        "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
        "bytes": archive.stat().st_size,
        "records": len(kept),
        "open": sum(statuses[status] for status in OPEN),
        "by_status": dict(statuses.most_common()),
        "open_updated_since": {
            str(year): sum(1 for r in kept if r.status in OPEN and r.last_update >= f"{year}-01-01")
            for year in (2024, 2025)
        },
        "newest_last_update": updated[-1],
        "oldest_last_update": updated[0],
        "order": (
            "records whose sites all have coordinates first (API v2, then legacy XML), then those with sites the"
            " gazetteer places; one record per NCT id, the latest last update winning"
        ),
        "needing_gazetteer": sum(1 for record in kept if record.needs_gazetteer),
        "parts": parts,
        "note": "Registry records as ClinicalTrials.gov published them, unchanged. Run `trialfinder sync` for current data.",
    }
    (OUT / "starter-catalogue.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {archive} ({archive.stat().st_size / 1e6:.1f} MB, {len(kept):,} records of {len(every):,} read;"
        f" {manifest['open']:,} recruiting or not yet recruiting; newest update {updated[-1]})"
    )


if __name__ == "__main__":
    main()
