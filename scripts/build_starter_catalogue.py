"""Build the starter catalogue that the package ships (src/trialfinder/data/starter-catalogue.tar.xz).

Usage: python scripts/build_starter_catalogue.py [--shared ../shared]

It packs real registry records, unchanged, into one xz-compressed tar that `trialfinder` imports the
first time its database is empty, through the same importer as `trialfinder import`:
  - the reference trial, shared/seed/NCT06857773.json (ClinicalTrials.gov API v2 JSON);
  - shared/data/ctgov/v2/*.json (11 real API v2 records);
  - shared/data/ctgov/legacy-xml.tar.gz (6,786 legacy ClinicalTrials.gov XML records, AllPublicXML layout).
Next to it, starter-catalogue.json records what went in, from where, and how old the data is.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import tarfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "trialfinder" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    shared: Path = args.shared

    members: list[tuple[str, bytes]] = []
    seed = shared / "seed" / "NCT06857773.json"
    members.append((f"v2/{seed.name}", seed.read_bytes()))
    for record in sorted((shared / "data" / "ctgov" / "v2").glob("NCT*.json")):
        members.append((f"v2/{record.name}", record.read_bytes()))
    legacy_count = 0
    newest_legacy = ""
    with tarfile.open(shared / "data" / "ctgov" / "legacy-xml.tar.gz", "r:gz") as legacy:
        for member in legacy:
            if member.isfile() and member.name.endswith(".xml"):
                data = legacy.extractfile(member).read()  # type: ignore[union-attr]
                members.append((member.name, data))
                legacy_count += 1
                match = re.search(rb"<download_date>([^<]+)</download_date>", data)
                if match:
                    newest_legacy = match.group(1).decode()

    OUT.mkdir(parents=True, exist_ok=True)
    archive = OUT / "starter-catalogue.tar.xz"
    # Fixed timestamps and ordering make the archive reproducible byte for byte.
    with tarfile.open(archive, "w:xz", preset=9) as tar:
        for name, data in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))

    v2_updates = []
    for name, data in members:
        if name.startswith("v2/"):
            record = json.loads(data)
            status = record["protocolSection"]["statusModule"]
            v2_updates.append(status.get("lastUpdatePostDateStruct", {}).get("date", ""))
    manifest = {
        "built": datetime.now(UTC).strftime("%Y-%m-%d"),
        "archive": archive.name,
        "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
        "records": len(members),
        "parts": [
            {
                "what": "reference trial NCT06857773 (PUMP-IT RCT)",
                "format": "ClinicalTrials.gov API v2 JSON",
                "count": 1,
                "source": "shared/seed/NCT06857773.json",
            },
            {
                "what": "current records (2025 oncology, and NCT02513394 with results)",
                "format": "ClinicalTrials.gov API v2 JSON",
                "count": len(members) - legacy_count - 1,
                "source": "shared/data/ctgov/v2 (ClinicalTrials.gov, via public GitHub repositories; see its README)",
                "newest_last_update": max(v2_updates),
            },
            {
                "what": "legacy AllPublicXML records, mostly older completed trials",
                "format": "legacy ClinicalTrials.gov XML",
                "count": legacy_count,
                "source": "shared/data/ctgov/legacy-xml.tar.gz (ClinicalTrials.gov AllPublicXML)",
                "registry_snapshot": newest_legacy,
            },
        ],
        "note": "Registry records as ClinicalTrials.gov published them, unchanged. Run `trialfinder sync` for current data.",
    }
    (OUT / "starter-catalogue.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {archive} ({archive.stat().st_size / 1e6:.1f} MB, {len(members):,} records)")


if __name__ == "__main__":
    main()
