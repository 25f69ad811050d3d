"""Configuration from ``QINGDAN_*`` environment variables.

Every command reads the same settings, so ``qingdan demo --data-dir D`` and a
later ``QINGDAN_DATA_DIR=D qingdan serve`` work on the same data.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import msgspec

PREFIX = "QINGDAN_"


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    data_dir: Path
    database_url: str
    redis_url: str | None = None
    secret_key: str
    session_max_age: int = 8 * 3600
    debug: bool = False
    smtp_url: str | None = None  # smtp://user:password@host:587?starttls=1
    mail_from: str = "qingdan@localhost"
    public_url: str = "http://127.0.0.1:8000"  # for links in e-mails

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def _secret_for(data_dir: Path) -> str:
    """A per-data-dir secret that survives restarts of the embedded default."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get(PREFIX + "DATA_DIR") or "var").expanduser().resolve()
    database_url = env.get(PREFIX + "DATABASE_URL") or f"sqlite:///{data_dir / 'qingdan.sqlite3'}"
    secret = env.get(PREFIX + "SECRET_KEY") or _secret_for(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=env.get(PREFIX + "REDIS_URL") or None,
        secret_key=secret,
        session_max_age=int(env.get(PREFIX + "SESSION_MAX_AGE") or 8 * 3600),
        debug=(env.get(PREFIX + "DEBUG") or "").lower() in {"1", "true", "yes"},
        smtp_url=env.get(PREFIX + "SMTP_URL") or None,
        mail_from=env.get(PREFIX + "MAIL_FROM") or "qingdan@localhost",
        public_url=(env.get(PREFIX + "PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
    )


_current: Settings | None = None


def get_settings() -> Settings:
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def set_settings(settings: Settings) -> None:
    global _current
    _current = settings
