"""Configuration: one typed object built from the environment and passed in. Nothing reads it at import time.

Every setting is documented in docs/SETTINGS.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

PREFIX = "TRIALFINDER_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    cache_dir: Path
    database_url: str
    ctgov_api_url: str = "https://clinicaltrials.gov/api/v2"
    sync_max_retries: int = 5
    load_starter_catalogue: bool = True
    import_batch_size: int = 500
    import_workers: int = 2
    log_level: str = "WARNING"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name)
            return value.strip() if value and value.strip() else None

        data_dir = Path(get("DATA_DIR") or platformdirs.user_data_dir("trialfinder")).expanduser()
        cache_dir = Path(get("CACHE_DIR") or platformdirs.user_cache_dir("trialfinder")).expanduser()
        database_url = get("DATABASE_URL") or f"sqlite:///{(data_dir / 'trialfinder.db').as_posix()}"
        return cls(
            data_dir=data_dir,
            cache_dir=cache_dir,
            database_url=database_url,
            ctgov_api_url=(get("CTGOV_API_URL") or cls.ctgov_api_url).rstrip("/"),
            sync_max_retries=_integer(get("SYNC_MAX_RETRIES"), "SYNC_MAX_RETRIES", 5, 0, 20),
            load_starter_catalogue=_boolean(get("LOAD_STARTER_CATALOGUE"), "LOAD_STARTER_CATALOGUE", True),
            import_batch_size=_integer(get("IMPORT_BATCH_SIZE"), "IMPORT_BATCH_SIZE", 500, 1, 100_000),
            import_workers=_integer(get("IMPORT_WORKERS"), "IMPORT_WORKERS", min(os.cpu_count() or 1, 4), 0, 64),
            log_level=_choice(get("LOG_LEVEL"), "LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR")),
        )


# The names in the order docs/SETTINGS.md lists them; the documentation test reads this.
SETTING_NAMES = (
    "DATA_DIR",
    "CACHE_DIR",
    "DATABASE_URL",
    "CTGOV_API_URL",
    "SYNC_MAX_RETRIES",
    "LOAD_STARTER_CATALOGUE",
    "IMPORT_BATCH_SIZE",
    "IMPORT_WORKERS",
    "LOG_LEVEL",
)


def _boolean(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {value!r}")


def _integer(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{PREFIX}{name} must be between {low} and {high}, not {number}")
    return number


def _choice(value: str | None, name: str, default: str, choices: tuple[str, ...]) -> str:
    if value is None:
        return default
    if value.upper() not in choices:
        raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(choices)}, not {value!r}")
    return value.upper()
