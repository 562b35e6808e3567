"""Outbound-connection guard against SSRF (DESIGN.md "Reliability and security").

Any URL a seller can influence (a registry reference, a token realm a registry names, a redirect, later other
URL fields) is resolved here first, and **every** address it resolves to must be a public one: loopback,
private (RFC 1918, ULA), link-local (including the cloud metadata address 169.254.169.254), multicast,
reserved, unspecified, 0.0.0.0/8, CGNAT 100.64.0.0/10 and IPv6 forms that embed such an IPv4 address
(IPv4-mapped, 6to4, Teredo, NAT64) are refused — unless the operator's allow-list (the setting
``OUTBOUND_ALLOWED_HOSTS``) names the host or a network containing the address.

Checking a name and then letting the HTTP library resolve it again would leave a DNS-rebinding window (the
second answer may differ). ``pinned_connection`` therefore connects to the very addresses that were checked,
while TLS (SNI, certificate) and the ``Host`` header still use the name.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "OUTBOUND_ALLOWED_HOSTS"
METADATA = ipaddress.ip_address("169.254.169.254")
_THIS_NET = ipaddress.ip_network("0.0.0.0/8")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """The host resolves to an address outbound requests may not reach."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address} ({reason}); outbound requests to such addresses are "
                         f"refused unless {SETTING} allows them")
        self.host, self.address, self.reason = host, address, reason


class HostLookupError(OSError):
    """The name does not resolve (no traffic was sent)."""


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    def host_allowed(self, host: str) -> bool:
        return _norm(host) in self.hosts

    def address_allowed(self, addr: IPAddress) -> bool:
        return any(addr.version == net.version and addr in net for net in self.networks)


def _norm(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def parse_allow(allow: Iterable[str] | AllowList) -> AllowList:
    """Entries are host names (``registry.internal``), addresses (``127.0.0.1``, ``::1``) or networks
    (``10.0.0.0/8``). An address or network allows any host resolving into it."""
    if isinstance(allow, AllowList):
        return allow
    hosts, nets = set(), []
    for item in allow:
        item = _norm(str(item))
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item)
    return AllowList(frozenset(hosts), tuple(nets))


def configured_allow() -> tuple[str, ...]:
    """``OUTBOUND_ALLOWED_HOSTS`` from Django settings when configured, else from the environment
    (comma-separated), so the guard works in the command-line pre-flight and in plain tests alike."""
    value: object = None
    try:
        from django.conf import settings

        if settings.configured:
            value = getattr(settings, SETTING, None)
    except Exception:  # Django absent or settings broken: the environment still counts
        value = None
    if value is None:
        value = os.environ.get(SETTING, "")
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value or () if str(v).strip())


def refusal(addr: IPAddress) -> str:
    """Why an address is refused, or "" when it is a public unicast address."""
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or (addr.sixtofour if addr.sixtofour else None)
        if embedded is None and addr.teredo:
            embedded = addr.teredo[1]
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal(embedded)
            if inner:
                return f"IPv6 form of {embedded}: {inner}"
        if addr.ipv4_mapped:
            return ""
    if addr == METADATA:
        return "cloud metadata service"
    for test, reason in (
        ("is_unspecified", "unspecified address"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
    ):
        if getattr(addr, test):
            return reason
    if isinstance(addr, ipaddress.IPv4Address):
        if addr in _THIS_NET:
            return "'this network' 0.0.0.0/8"
        if addr in _CGNAT:
            return "shared address space (CGNAT 100.64.0.0/10)"
    if addr.is_reserved:
        return "reserved range"
    if addr.is_private:
        return "private network"
    if not addr.is_global:
        return "not a globally routable address"
    return ""


def resolve_checked(host: str, port: int = 443, *, allow: Iterable[str] | AllowList = ()) -> list[str]:
    """The addresses of ``host`` (getaddrinfo order, de-duplicated), each checked; raises ``BlockedAddress``
    when any of them is refused (one bad answer is enough: the client might get it next time)."""
    host = _norm(host)
    if not host:
        raise HostLookupError("empty host name")
    rules = parse_allow(allow)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostLookupError(f"{host} does not resolve ({exc})") from None
    out: list[str] = []
    host_ok = rules.host_allowed(host)
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = str(sockaddr[0]).split("%", 1)[0]
        if ip in out:
            continue
        addr = ipaddress.ip_address(ip)
        reason = refusal(addr)
        if reason and not host_ok and not rules.address_allowed(addr):
            raise BlockedAddress(host, ip, reason)
        out.append(ip)
    if not out:
        raise HostLookupError(f"{host} has no addresses")
    return out


def check_host(host: str, *, allow: Iterable[str] | AllowList = ()) -> None:
    """Resolve ``host`` and refuse it (``BlockedAddress``) unless every address is public or allowed."""
    resolve_checked(host, allow=allow)


class _Pinned:
    """Mix-in for ``http.client`` connections: connect only to pre-checked addresses, never re-resolve."""

    _addresses: Sequence[str]

    def _pin(self, addresses: Sequence[str]) -> None:
        self._addresses = tuple(addresses)
        self._create_connection = self._connect_pinned  # the hook HTTPConnection.connect calls

    def _connect_pinned(self, address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
        _host, port = address
        last: OSError | None = None
        for ip in self._addresses:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as exc:
                last = exc
        raise last or OSError("no address to connect to")


class PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def __init__(self, host: str, port: int | None, addresses: Sequence[str], **kw) -> None:
        super().__init__(host, port, **kw)
        self._pin(addresses)


class PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    """TLS to the pinned address; SNI and certificate checks use ``host``."""

    def __init__(self, host: str, port: int | None, addresses: Sequence[str], **kw) -> None:
        super().__init__(host, port, **kw)
        self._pin(addresses)


def pinned_connection(scheme: str, host: str, port: int | None = None, *, allow: Iterable[str] | AllowList = (),
                      timeout: float = 10.0, context: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
    """An unopened ``http.client`` connection to ``host`` whose addresses passed ``resolve_checked``.

    Raises ``BlockedAddress`` or ``HostLookupError`` before any traffic. Environment proxies are not used
    (``http.client`` ignores them), so nothing bypasses the check.
    """
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve_checked(host, port, allow=allow)
    host = _norm(host)
    if scheme == "https":
        return PinnedHTTPSConnection(host, port, addresses, timeout=timeout,
                                     context=context or ssl.create_default_context())
    return PinnedHTTPConnection(host, port, addresses, timeout=timeout)


__all__ = ["AllowList", "BlockedAddress", "HostLookupError", "PinnedHTTPConnection", "PinnedHTTPSConnection",
           "SETTING", "check_host", "configured_allow", "parse_allow", "pinned_connection", "refusal",
           "resolve_checked"]
