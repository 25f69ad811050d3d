"""Signed cookie sessions, with nothing but the standard library.

Litestar's own cookie backend encrypts with AES-GCM and needs the
``cryptography`` package, which qingdan does not depend on. Our session holds
nothing secret (a user id, a tenant slug, a time), so an HMAC-SHA256
signature is enough: the browser can read the cookie but cannot forge or
alter it. The cookie also carries its own expiry, checked under the
signature, so a stolen old cookie stops working even if the browser kept it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import ImproperlyConfiguredException
from litestar.middleware.session.base import BaseBackendConfig, BaseSessionBackend
from litestar.types import Empty, Message, Scopes, ScopeSession

# Browsers drop cookies over 4096 bytes; a session that large is a bug here.
MAX_COOKIE_BYTES = 4000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedCookieBackend(BaseSessionBackend["SignedCookieConfig"]):
    def sign(self, payload: str) -> str:
        return _b64(hmac.new(self.config.secret, payload.encode(), hashlib.sha256).digest())

    def dump(self, data: dict[str, Any], now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.config.max_age)
        body = json.dumps({"exp": expires, "data": data}, separators=(",", ":"), sort_keys=True)
        payload = _b64(body.encode())
        return f"{payload}.{self.sign(payload)}"

    def load(self, value: str, now: float | None = None) -> dict[str, Any]:
        """The session in ``value``, or ``{}`` if it is forged, damaged or expired."""
        payload, _, signature = value.partition(".")
        if not payload or not hmac.compare_digest(signature, self.sign(payload)):
            return {}
        try:
            decoded = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return {}
        if not isinstance(decoded, dict) or not isinstance(decoded.get("data"), dict):
            return {}
        expires = decoded.get("exp")
        if not isinstance(expires, int) or expires <= (now if now is not None else time.time()):
            return {}
        return decoded["data"]

    def get_session_id(self, connection: ASGIConnection) -> str | None:
        return None

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        value = connection.cookies.get(self.config.key)
        return self.load(value) if value else {}

    def _cookie(self, value: str, *, clear: bool = False) -> str:
        cookie = Cookie(
            key=self.config.key,
            value="" if clear else value,
            max_age=0 if clear else self.config.max_age,
            path=self.config.path,
            domain=self.config.domain,
            secure=self.config.secure,
            httponly=self.config.httponly,
            samesite=self.config.samesite,
        )
        return cookie.to_header(header="")

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        headers = MutableScopeHeaders.from_message(message)
        if scope_session and scope_session is not Empty:
            value = self.dump(dict(scope_session))  # type: ignore[arg-type]
            if len(value) > MAX_COOKIE_BYTES:
                raise ValueError("会话数据过大,无法存入 Cookie")
            headers.add("Set-Cookie", self._cookie(value))
        elif self.config.key in connection.cookies:
            headers.add("Set-Cookie", self._cookie("", clear=True))


@dataclass
class SignedCookieConfig(BaseBackendConfig[SignedCookieBackend]):  # type: ignore[type-var]
    _backend_class = SignedCookieBackend

    secret: bytes
    key: str = "session"
    max_age: int = 8 * 3600
    scopes: Scopes = field(default_factory=lambda: {ScopeType.HTTP})
    path: str = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = True
    samesite: Literal["lax", "strict", "none"] = "lax"
    exclude: str | list[str] | None = None
    exclude_opt_key: str = "skip_session"

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise ImproperlyConfiguredException("会话签名密钥至少需要32字节")
        if self.max_age < 1:
            raise ImproperlyConfiguredException("会话有效期必须大于0秒")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.key):
            raise ImproperlyConfiguredException("会话 Cookie 名称无效")
