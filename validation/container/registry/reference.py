"""Image references: ``host[:port]/repository[:tag][@sha256:…]``.

There is no Docker Hub default: a reference must name its registry host (``docker.io/library/x`` style
short names are refused), so the seller states exactly where the image is read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from validation.container.registry.errors import RegistryError

# distribution/reference grammar, simplified: lowercase path components separated by / with . _ __ - separators.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)"
                   r"(?::[0-9]{1,5})?$")
MAX_LENGTH = 1024


@dataclass(frozen=True)
class Reference:
    host: str  # as written, with port when given ("127.0.0.1:5000", "[::1]:5000")
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def hostname(self) -> str:
        h = self.host
        if h.startswith("["):
            return h[1:h.index("]")]
        return h.rsplit(":", 1)[0] if ":" in h else h

    @property
    def port(self) -> int | None:
        rest = self.host[self.host.index("]") + 1:] if self.host.startswith("[") else self.host
        return int(rest.rsplit(":", 1)[1]) if ":" in rest else None

    @property
    def ref(self) -> str:
        """What goes in ``/v2/<repo>/manifests/<ref>``: the digest when pinned, else the tag."""
        return self.digest or self.tag

    def __str__(self) -> str:
        return f"{self.host}/{self.repository}" + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else "")


def parse_reference(text: str) -> Reference:
    s = (text or "").strip()
    bad = "registry.E001"
    if not s:
        raise RegistryError(bad, "The image reference is empty.")
    if len(s) > MAX_LENGTH:
        raise RegistryError(bad, f"The image reference is longer than {MAX_LENGTH} characters.")
    if "://" in s:
        raise RegistryError(bad, f"Write the image reference without a scheme ({s.split('://', 1)[1]!r}, not {s!r}).")
    if any(c.isspace() for c in s):
        raise RegistryError(bad, "The image reference contains white space.")
    digest = ""
    if "@" in s:
        s, digest = s.rsplit("@", 1)
        if not _DIGEST.match(digest):
            raise RegistryError(bad, f"{digest!r} is not a sha256:/sha512: digest.")
    host, sep, path = s.partition("/")
    if not sep or not path or not ("." in host or ":" in host or host == "localhost"):
        raise RegistryError(bad, f"{text!r} does not name a registry host; write it in full, e.g. "
                            "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1.0.")
    if not _HOST.match(host):
        raise RegistryError(bad, f"{host!r} is not a valid registry host.")
    tag = ""
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
        if not _TAG.match(tag):
            raise RegistryError(bad, f"{tag!r} is not a valid tag.")
    if not _REPO.match(path) or len(path) > 255:
        raise RegistryError(bad, f"{path!r} is not a valid repository name (lowercase letters, digits and . _ - "
                            "separated by /).")
    if not tag and not digest:
        tag = "latest"
    port = host.rsplit(":", 1)[1] if ":" in host.rsplit("]", 1)[-1] else ""
    if port and not (0 < int(port) < 65536):
        raise RegistryError(bad, f"Port {port} is out of range.")
    return Reference(host.lower(), path, tag, digest)
