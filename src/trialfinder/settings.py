"""Configuration: one typed object built from the environment and passed in. Nothing reads it at import time.

Every command reads the same settings: the settings file (`<data dir>/settings.env`, or TRIALFINDER_SETTINGS_FILE),
then the environment, whose variables override the file's. Every setting is documented in docs/SETTINGS.md (a test
keeps the two in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from trialfinder.filemodes import make_private_folder

PREFIX = "TRIALFINDER_"
SETTINGS_FILE_NAME = "settings.env"
# Where the settings file is found: these can only come from the environment.
_NOT_IN_FILE = ("DATA_DIR", "SETTINGS_FILE")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    cache_dir: Path
    database_url: str
    database_pool_size: int = 10  # PostgreSQL connections one process keeps open at most
    ctgov_api_url: str = "https://clinicaltrials.gov/api/v2"
    sync_max_retries: int = 5
    load_starter_catalogue: bool = True
    import_batch_size: int = 500
    import_workers: int = 2
    log_level: str = "WARNING"
    # Email and referrals (see docs/SETTINGS.md). No SMTP host: messages are written as .eml files to mail_dir.
    secret_key: str | None = None
    public_url: str | None = None
    # Without public_url, the host names whose requests may put their own address in emailed links (besides
    # localhost): anyone can send any Host header, so no other request's address is ever trusted.
    allowed_hosts: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "trialfinder <no-reply@localhost>"
    mail_dir: Path | None = None
    referral_inbox: str | None = None
    referral_retention_days: int = 180
    notes_retention_days: int = 180  # notes and share links unused this long are deleted
    # Plain-language overviews by a language model (optional; see docs/SETTINGS.md). No URL: the built-in generator.
    overview_model_url: str | None = None
    overview_model_name: str | None = None
    overview_model_api_key: str | None = None
    overview_model_timeout: int = 30
    # Subscriptions (see docs/SETTINGS.md): days a sign-up has to be confirmed before it is deleted.
    subscription_confirm_days: int = 7
    # Where the forms' rate limits are counted (see docs/SETTINGS.md): a `limits` storage URI.
    rate_limit_storage: str = "memory://"
    # Trials for me (the page /match and POST /api/match together) per client in ten minutes; 0: no limit.
    matches_per_client: int = 30
    # The archive (or folder, or file) loaded into an empty catalogue; None: the one the package ships.
    starter_catalogue: Path | None = None
    # The settings file that was read, None when there was none (`serve` says which).
    settings_file: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from the environment and the settings file (the environment's variables win). With
        `environ` given, only a settings file it names (TRIALFINDER_SETTINGS_FILE) or one in the data folder it
        names (TRIALFINDER_DATA_DIR) is read, never the user's own."""
        env = os.environ if environ is None else environ

        def from_environment(name: str) -> str | None:
            value = env.get(PREFIX + name)
            return value.strip() if value and value.strip() else None

        data_dir = Path(from_environment("DATA_DIR") or platformdirs.user_data_dir("trialfinder")).expanduser()
        named = from_environment("SETTINGS_FILE")
        path = Path(named).expanduser() if named else data_dir / SETTINGS_FILE_NAME
        read = bool(named or environ is None or from_environment("DATA_DIR"))
        in_file = read_settings_file(path, required=bool(named)) if read else {}
        settings_file = path if read and path.is_file() else None

        def get(name: str) -> str | None:
            value = from_environment(name)
            return value if value is not None else in_file.get(name)

        cache_dir = Path(get("CACHE_DIR") or platformdirs.user_cache_dir("trialfinder")).expanduser()
        database_url = get("DATABASE_URL") or f"sqlite:///{(data_dir / 'trialfinder.db').as_posix()}"
        return cls(
            data_dir=data_dir,
            cache_dir=cache_dir,
            database_url=database_url,
            database_pool_size=_integer(get("DATABASE_POOL_SIZE"), "DATABASE_POOL_SIZE", 10, 1, 1000),
            ctgov_api_url=(get("CTGOV_API_URL") or cls.ctgov_api_url).rstrip("/"),
            sync_max_retries=_integer(get("SYNC_MAX_RETRIES"), "SYNC_MAX_RETRIES", 5, 0, 20),
            load_starter_catalogue=_boolean(get("LOAD_STARTER_CATALOGUE"), "LOAD_STARTER_CATALOGUE", True),
            import_batch_size=_integer(get("IMPORT_BATCH_SIZE"), "IMPORT_BATCH_SIZE", 500, 1, 100_000),
            import_workers=_integer(get("IMPORT_WORKERS"), "IMPORT_WORKERS", min(os.cpu_count() or 1, 4), 0, 64),
            log_level=_choice(get("LOG_LEVEL"), "LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR")),
            secret_key=_secret(get("SECRET_KEY")),
            public_url=(get("PUBLIC_URL") or "").rstrip("/") or None,
            allowed_hosts=tuple(
                host.strip().lower() for host in (get("ALLOWED_HOSTS") or "").split(",") if host.strip()
            ),
            smtp_host=get("SMTP_HOST"),
            smtp_port=_integer(get("SMTP_PORT"), "SMTP_PORT", 0, 1, 65535) or None,
            smtp_security=_choice(get("SMTP_SECURITY"), "SMTP_SECURITY", "STARTTLS", ("STARTTLS", "TLS", "NONE")).lower(),
            smtp_user=get("SMTP_USER"),
            smtp_password=get("SMTP_PASSWORD"),
            mail_from=get("MAIL_FROM") or cls.mail_from,
            mail_dir=Path(get("MAIL_DIR")).expanduser() if get("MAIL_DIR") else data_dir / "mail",
            referral_inbox=get("REFERRAL_INBOX"),
            referral_retention_days=_integer(get("REFERRAL_RETENTION_DAYS"), "REFERRAL_RETENTION_DAYS", 180, 1, 3650),
            notes_retention_days=_integer(get("NOTES_RETENTION_DAYS"), "NOTES_RETENTION_DAYS", 180, 1, 3650),
            overview_model_url=(get("OVERVIEW_MODEL_URL") or "").rstrip("/") or None,
            overview_model_name=get("OVERVIEW_MODEL_NAME"),
            overview_model_api_key=get("OVERVIEW_MODEL_API_KEY"),
            overview_model_timeout=_integer(get("OVERVIEW_MODEL_TIMEOUT"), "OVERVIEW_MODEL_TIMEOUT", 30, 1, 600),
            subscription_confirm_days=_integer(
                get("SUBSCRIPTION_CONFIRM_DAYS"), "SUBSCRIPTION_CONFIRM_DAYS", 7, 1, 60
            ),
            rate_limit_storage=get("RATE_LIMIT_STORAGE") or cls.rate_limit_storage,
            matches_per_client=_integer(get("MATCHES_PER_CLIENT"), "MATCHES_PER_CLIENT", 30, 0, 100_000),
            starter_catalogue=Path(get("STARTER_CATALOGUE")).expanduser() if get("STARTER_CATALOGUE") else None,
            settings_file=settings_file,
        )


def read_settings_file(path: Path, *, required: bool = False) -> dict[str, str]:
    """The settings in a file of `TRIALFINDER_NAME=value` lines (the names without the prefix), as systemd's
    EnvironmentFile and `docker --env-file` read them: blank lines and `#` comments are skipped, a value may be
    quoted ('...' or "..."). {} when there is no such file, unless `required` (TRIALFINDER_SETTINGS_FILE named it).
    A line that is not a known setting is an error naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise SettingsError(f"{PREFIX}SETTINGS_FILE: there is no file {path}") from None
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read the settings file {path}: {getattr(error, 'strerror', None) or error}") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, equals, value = line.partition("=")
        name = name.strip()
        where = f"{path} line {number}"
        if not equals:
            raise SettingsError(f"{where}: expected {PREFIX}NAME=value")
        if not name.startswith(PREFIX) or name[len(PREFIX) :] not in SETTING_NAMES:
            raise SettingsError(f"{where}: {name[:60]!r} is not a setting (see docs/SETTINGS.md)")
        if name[len(PREFIX) :] in _NOT_IN_FILE:
            raise SettingsError(f"{where}: {name} says where the settings file is, so it can only be an environment variable")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value:
            values[name[len(PREFIX) :]] = value
    return values


# The names in the order docs/SETTINGS.md lists them; the documentation test reads this.
SETTING_NAMES = (
    "DATA_DIR",
    "CACHE_DIR",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "CTGOV_API_URL",
    "SYNC_MAX_RETRIES",
    "LOAD_STARTER_CATALOGUE",
    "IMPORT_BATCH_SIZE",
    "IMPORT_WORKERS",
    "LOG_LEVEL",
    "SECRET_KEY",
    "PUBLIC_URL",
    "ALLOWED_HOSTS",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "MAIL_FROM",
    "MAIL_DIR",
    "REFERRAL_INBOX",
    "REFERRAL_RETENTION_DAYS",
    "NOTES_RETENTION_DAYS",
    "OVERVIEW_MODEL_URL",
    "OVERVIEW_MODEL_NAME",
    "OVERVIEW_MODEL_API_KEY",
    "OVERVIEW_MODEL_TIMEOUT",
    "SUBSCRIPTION_CONFIRM_DAYS",
    "RATE_LIMIT_STORAGE",
    "MATCHES_PER_CLIENT",
    "STARTER_CATALOGUE",
    "SETTINGS_FILE",
)


def _secret(value: str | None) -> str | None:
    # Signs the links in emails; a short key would make them guessable.
    if value is not None and len(value) < 32:
        raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters")
    return value


def secret_key(settings: Settings) -> bytes:
    """The key that signs links: the setting, else one made at random on first use and kept in the data folder.

    Kept rather than made per start, so that links in emails sent before a restart still work.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    import secrets

    make_private_folder(settings.data_dir)
    key = secrets.token_bytes(32)
    # Created readable by its owner only, and never overwritten if another process made it first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


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
