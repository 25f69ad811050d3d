"""The file store for attachments: a folder (``QINGDAN_DATA_DIR/files`` by default,
``QINGDAN_FILES_DIR`` in production, e.g. a shared volume).

Files are stored under their SHA-256, so the same file uploaded twice is kept
once and a stored file can be checked against its hash. Size and type are
limited; the type is judged by the file's first bytes, not only its name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec

from qingdan.core.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024

# extension -> (content type, what the first bytes must be)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
}


class StoredFile(msgspec.Struct, frozen=True):
    storage_key: str
    filename: str
    content_type: str
    size: int
    sha256: str


def files_dir() -> Path:
    from qingdan.core.config import get_settings

    configured = os.environ.get("QINGDAN_FILES_DIR")
    return Path(configured) if configured else get_settings().files_dir


def _safe_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    return name[:200] or "附件"


def check_upload(filename: str, data: bytes) -> tuple[str, str]:
    """(safe file name, content type), or a Chinese DomainError naming the problem."""
    name = _safe_name(filename)
    if not data:
        raise DomainError(f"附件“{name}”是空文件", "file")
    if len(data) > MAX_BYTES:
        raise DomainError(
            f"附件“{name}”大小为{len(data) / 1024 / 1024:.1f}MB,超过{MAX_BYTES // 1024 // 1024}MB的限制",
            "file",
        )
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED:
        kinds = "、".join(sorted(e.lstrip(".") for e in ALLOWED))
        raise DomainError(f"附件“{name}”的文件类型不允许(允许: {kinds})", "file")
    content_type, magics = ALLOWED[ext]
    if not any(data.startswith(m) for m in magics):
        raise DomainError(f"附件“{name}”的内容与扩展名{ext}不符", "file")
    return name, content_type


def store(filename: str, data: bytes) -> StoredFile:
    name, content_type = check_upload(filename, data)
    digest = hashlib.sha256(data).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = files_dir() / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a reader never sees half a file
    return StoredFile(key, name, content_type, len(data), digest)


def read(storage_key: str) -> bytes:
    path = files_dir() / storage_key
    if ".." in Path(storage_key).parts or not path.is_file():
        raise DomainError("附件文件不存在")
    return path.read_bytes()
