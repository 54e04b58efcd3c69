"""Files that hold personal data are the operator's account's alone.

The data folder holds the database (referrals, subscriptions, notes), the key that signs links and, without an SMTP
server, the emails as `.eml` files. Each is created readable by its owner only (folders 0700, files 0600), and
`loose_permissions` names those that are wider, for `serve` to warn about at start (a folder made by hand or by an
older version, a restored backup).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def make_private_folder(path: Path) -> None:
    """Create `path` (and missing parents) if needed; the folder itself is created 0700. An existing folder is left
    as it is (the operator may have reasons): `loose_permissions` reports it."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_FOLDER)
    except FileExistsError:
        pass


def create_private_file(path: Path) -> None:
    """Create an empty `path` readable by its owner only, unless it exists (a database that SQLite then opens: its
    journal files take the same mode)."""
    make_private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass


def loose_permissions(paths: list[Path], *, holds: str = "personal data") -> list[str]:
    """For each existing path that others may read or enter, a line: the path, its mode, what it `holds`, and the
    command to fix it."""
    lines = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            wanted = PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE
            lines.append(f"{path} is open to other users (mode {mode:04o}); it holds {holds}: chmod {wanted:o} {path}")
    return lines
