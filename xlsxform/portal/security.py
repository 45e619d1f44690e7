"""What keeps the portal safe: password hashes, CSRF tokens, security
headers, the upload limit and the rate limiter.

- Passwords: scrypt (the standard library's, a memory-hard KDF) with a salt
  per account; the parameters are stored with the hash, so they can be
  raised later without breaking old accounts.
- CSRF: double submit. Every page with a form sets a random ``csrf`` cookie
  (HttpOnly, SameSite=Lax) and carries the same value in a hidden field;
  a POST whose field does not match its cookie, or whose Origin is another
  site, is refused with 403.
- Headers: a CSP that allows nothing but the portal's own style sheet and
  images (no script at all), no framing, no sniffing, no referrer to other
  sites (the department's link is a secret in its URL; the portal itself
  needs the Origin of its own forms), no caching of pages.
- Upload limit: a request body larger than the limit is refused with 413
  before it is read, by its Content-Length or while it streams.
- Rate limit: a sliding window per key (a department link, a login name, a
  client address), in memory and bounded in size.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# -- passwords -------------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
MIN_PASSWORD = 8


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of a password, with a fresh salt."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_LEN, maxmem=128 * n * r * 2)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; the same work is done when
    there is no such account, so timing does not tell which names exist."""
    if stored is None:
        hash_password(password)
        return False
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(key)
        found = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=128 * int(n) * int(r) * 2
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- CSRF ------------------------------------------------------------------------

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf"


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, field: str | None) -> bool:
    """The form's hidden field matches the cookie set with the page."""
    return bool(cookie) and bool(field) and hmac.compare_digest(str(cookie), str(field))


def same_origin(headers: MutableMapping[str, str] | Any, host_url: str) -> bool:
    """A browser's Origin (or Referer) names this site, or is absent (old browsers, tools)."""
    origin = headers.get("origin") or ""
    if not origin or origin == "null":
        return not origin
    return origin.rstrip("/") == host_url.rstrip("/")


# -- headers ---------------------------------------------------------------------

CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "x-robots-tag": "noindex, nofollow",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """Adds :data:`HEADERS` to every response (HSTS too over HTTPS), and
    ``Cache-Control: no-store`` where the response sets none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- upload limit ----------------------------------------------------------------


class BodyTooLarge(Exception):
    """The request body went over the limit while it was being received."""


class BodyLimit:
    """Refuses a request body over ``limit`` bytes: by Content-Length before
    anything is read, else while it streams (then the app sees BodyTooLarge)."""

    def __init__(self, app: ASGIApp, limit: int, refuse: ASGIApp) -> None:
        self.app, self.limit, self.refuse = app, limit, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.limit + 1
                if declared > self.limit:
                    await self.refuse(scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


# -- rate limit ------------------------------------------------------------------


class RateLimiter:
    """At most ``limit`` events per key in ``window`` seconds; remembers at
    most ``keys`` keys (the least recently used are forgotten first)."""

    def __init__(self, limit: int, window: float, keys: int = 10_000) -> None:
        self.limit, self.window, self.keys = limit, window, keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for ``key``; False (not counted) when over the limit."""
        moment = time.monotonic()
        with self._lock:
            events = self._events.pop(key, None) or deque()
            while events and events[0] <= moment - self.window:
                events.popleft()
            allowed = len(events) < self.limit
            if allowed:
                events.append(moment)
            self._events[key] = events
            while len(self._events) > self.keys:
                self._events.popitem(last=False)
            return allowed

    def __len__(self) -> int:
        return len(self._events)
