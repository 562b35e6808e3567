"""HTTP for the registry client: one pinned connection per request, an overall deadline, guarded redirects.

Why not ``requests``/``urllib3``: every connection must go to the address the SSRF guard checked (no second
DNS lookup), every redirect hop must be checked again, credentials must never follow a redirect to another
host, and a registry that stops talking must not hold a worker: each socket read has a timeout *and* a
watchdog shuts the socket at the overall deadline, so even a server that drips one byte a second cannot
stretch the read past it. ``http.client`` over ``validation.netguard.pinned_connection`` does all of that in
a few lines.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from validation import netguard
from validation.container.limits import GiB, MiB
from validation.container.registry.errors import DeadlineExceeded, RegistryError

REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class RegistryOptions:
    """How the registry source may reach out. Defaults are production-safe; tests loosen them explicitly."""

    allow: tuple[str, ...] | None = None  # SSRF allow-list; None: the OUTBOUND_ALLOWED_HOSTS setting
    # Registry host as written in references (with port) → base URL actually contacted. Lets tests map an ECR
    # name onto a local registry without touching DNS; in production, e.g. a pull-through mirror.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    plain_http: tuple[str, ...] = ()  # hosts that may be spoken to without TLS (besides http:// endpoints)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0  # no byte for this long: the registry stalled
    deadline: float = 3600.0  # the whole read of one image, manifest to last layer byte
    max_redirects: int = 5
    max_layer_bytes: int = 64 * GiB  # a descriptor larger than this is refused before downloading
    max_image_bytes: int = 256 * GiB  # compressed layers of one image together
    max_small: int = 8 * MiB  # manifests, configs, token answers (the same as ReadLimits.max_json)
    ssl_context: ssl.SSLContext | None = None
    ecr_endpoint_url: str | None = None  # boto3 endpoint for GetAuthorizationToken (tests: moto_server)
    user_agent: str = "marketplace-prep/1 (registry source)"

    def allow_list(self) -> netguard.AllowList:
        return netguard.parse_allow(netguard.configured_allow() if self.allow is None else self.allow)


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, what: str) -> None:
        if self.expired():
            raise DeadlineExceeded(f"The registry read took longer than the {self.seconds:g} s allowed "
                                   f"({what}).", seconds=self.seconds)


class Response:
    """An HTTP response whose body is read in bounded pieces, each under the read timeout and the deadline."""

    def __init__(self, url: str, conn: http.client.HTTPConnection, sock: socket.socket,
                 resp: http.client.HTTPResponse, watchdog: threading.Timer, transport: Transport) -> None:
        self.url, self.status, self.headers = url, resp.status, resp.headers
        self._conn, self._sock, self._resp, self._watchdog, self._t = conn, sock, resp, watchdog, transport

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value and value.strip().isdigit() else None

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    def read(self, n: int, what: str) -> bytes:
        """Up to ``n`` bytes (fewer when that is what arrived); b"" at the end of the body."""
        t = self._t
        t.deadline.check(what)
        try:
            self._sock.settimeout(max(0.05, min(t.options.read_timeout, t.deadline.remaining())))
            data = self._resp.read1(n)
        except (TimeoutError, socket.timeout):
            t.deadline.check(what)
            raise RegistryError("registry.E004", f"The registry stopped sending for {t.options.read_timeout:g} s "
                                f"({what}).", seconds=t.options.read_timeout) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            t.deadline.check(what)
            raise RegistryError("registry.E003", f"The connection broke while reading {what}: "
                                f"{type(exc).__name__}: {exc}.") from None
        if not data:
            t.deadline.check(what)  # the watchdog closes the socket at the deadline: an empty read then
        return data

    def read_all(self, cap: int, what: str, code: str = "registry.E007") -> bytes:
        length = self.content_length
        if length is not None and length > cap:
            raise RegistryError(code, f"The {what} is {length:,} bytes, over the {cap:,}-byte limit.",
                                size=length, max=cap)
        parts, got = [], 0
        while True:
            data = self.read(min(1 << 20, cap + 1 - got), what)
            if not data:
                break
            parts.append(data)
            got += len(data)
            if got > cap:
                raise RegistryError(code, f"The {what} is over the {cap:,}-byte limit.", max=cap)
        if length is not None and got < length:
            raise RegistryError("registry.E003", f"The connection closed after {got:,} of {length:,} bytes of "
                                f"the {what}.")
        return b"".join(parts)

    def close(self) -> None:
        self._watchdog.cancel()
        for thing in (self._resp, self._conn):
            try:
                thing.close()
            except Exception:  # closing a broken connection may fail; nothing to do about it
                pass

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kill(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Transport:
    def __init__(self, options: RegistryOptions, deadline: Deadline) -> None:
        self.options, self.deadline = options, deadline
        self.allow = options.allow_list()
        self._plain = {h.lower() for h in options.plain_http}
        for base in options.endpoints.values():
            parts = urlsplit(base)
            if parts.scheme == "http" and parts.hostname:
                self._plain.add(parts.hostname.lower())

    def _check_scheme(self, url: str) -> tuple[str, str, int | None, str]:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise RegistryError("registry.E007", f"The registry sent an unusable URL {url[:200]!r}.")
        if parts.scheme == "http" and host not in self._plain:
            raise RegistryError("registry.E002", f"Plain-http URL {url[:200]!r} refused: only hosts configured "
                                "for plain http may be reached without TLS.")
        try:
            port = parts.port
        except ValueError:
            raise RegistryError("registry.E007", f"The URL {url[:200]!r} has an invalid port.") from None
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return parts.scheme, host, port, path

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None, *,
                what: str = "the request", follow: bool = True) -> Response:
        """Send one request (following redirects when ``follow``): the caller closes the response.
        ``Authorization`` goes only to the first URL's host and port."""
        origin = urlsplit(url).netloc
        hops = 0
        while True:
            send = dict(headers or {})
            if urlsplit(url).netloc != origin:
                send.pop("Authorization", None)
            resp = self._once(method, url, send, what)
            if not follow or resp.status not in REDIRECTS:
                return resp
            location = resp.headers.get("Location", "")
            resp.close()
            hops += 1
            if not location:
                raise RegistryError("registry.E007", f"The registry answered {resp.status} without a Location "
                                    f"({what}).")
            if hops > self.options.max_redirects:
                raise RegistryError("registry.E007", f"More than {self.options.max_redirects} redirects ({what}).")
            url = urljoin(url, location)
            if urlsplit(url).scheme == "http" and urlsplit(resp.url).scheme == "https":
                raise RegistryError("registry.E002", f"A redirect from https to plain http was refused ({what}).")
            if resp.status == 303:
                method = "GET"

    def _once(self, method: str, url: str, headers: dict[str, str], what: str) -> Response:
        self.deadline.check(what)
        scheme, host, port, path = self._check_scheme(url)
        opt = self.options
        try:
            conn = netguard.pinned_connection(scheme, host, port, allow=self.allow,
                                              timeout=max(0.05, min(opt.connect_timeout, self.deadline.remaining())),
                                              context=opt.ssl_context)
        except netguard.BlockedAddress as exc:
            raise RegistryError("registry.E002", f"{exc} ({what}).", host=host, address=exc.address) from None
        except netguard.HostLookupError as exc:
            raise RegistryError("registry.E003", f"{exc} ({what}).", host=host) from None
        try:
            conn.connect()
        except (TimeoutError, socket.timeout):
            conn.close()
            self.deadline.check(what)
            raise RegistryError("registry.E004", f"{host} did not accept a connection within "
                                f"{opt.connect_timeout:g} s ({what}).") from None
        except ssl.SSLError as exc:
            conn.close()
            raise RegistryError("registry.E003", f"TLS with {host} failed: {exc.reason or exc} ({what}).") from None
        except OSError as exc:
            conn.close()
            raise RegistryError("registry.E003", f"{host} cannot be reached: {exc.strerror or exc} ({what}).") from None
        sock = conn.sock
        watchdog = threading.Timer(max(0.0, self.deadline.remaining()), _kill, [sock])
        watchdog.daemon = True
        watchdog.start()
        try:
            sock.settimeout(max(0.05, min(opt.read_timeout, self.deadline.remaining())))
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in {"User-Agent": opt.user_agent, **headers}.items():
                conn.putheader(k, v)
            conn.endheaders()
            resp = conn.getresponse()
        except BaseException as exc:
            watchdog.cancel()
            conn.close()
            if isinstance(exc, Exception):
                self.deadline.check(what)
            if isinstance(exc, (TimeoutError, socket.timeout)):
                raise RegistryError("registry.E004", f"{host} accepted the connection but did not answer within "
                                    f"{opt.read_timeout:g} s ({what}).") from None
            if isinstance(exc, http.client.HTTPException):
                raise RegistryError("registry.E007", f"{host} did not answer in HTTP ({type(exc).__name__}: "
                                    f"{str(exc)[:120]}) ({what}).") from None
            if isinstance(exc, ssl.SSLError):
                raise RegistryError("registry.E003", f"TLS with {host} failed: {exc.reason or exc} ({what}).") from None
            if isinstance(exc, OSError):
                raise RegistryError("registry.E003", f"The connection to {host} broke: {exc.strerror or exc} "
                                    f"({what}).") from None
            raise
        return Response(url, conn, sock, resp, watchdog, self)
