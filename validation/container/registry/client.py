"""A minimal client for the Registry HTTP API v2 (the OCI distribution spec), pull side only.

Flow: ``GET /v2/`` (auth discovery; a registry that answers it with an HTML page is not a registry) → on a
401 the ``WWW-Authenticate`` challenge decides: ``Bearer realm,service[,scope]`` → a token from the realm
(with the seller's user/password as Basic when given), or ``Basic`` → the credentials on every request →
the manifest with every ``Accept`` type we read (OCI index/manifest, Docker list/manifest v2) → an index is
narrowed to one platform → the config blob (bounded, digest-checked) → the layers, streamed by the caller.

Every request goes through ``Transport`` (SSRF guard, pinned connections, deadline, guarded redirects).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from validation.container.archive import INDEX_TYPES, _choose, _platform
from validation.container.registry.errors import RegistryError
from validation.container.registry.reference import Reference
from validation.container.registry.transport import Deadline, RegistryOptions, Response, Transport

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
_DIGEST = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")
_ERROR_BODY = 64 * 1024
_TOKEN_BODY = 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:  # never the password, whatever prints this
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer" | "basic" | other, lowercase
    params: dict[str, str]


_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


def parse_challenges(values: Sequence[str]) -> list[Challenge]:
    """``WWW-Authenticate`` values → challenges (quoted strings with escapes, several schemes per header)."""
    out: list[Challenge] = []
    for value in values:
        rest = value.strip()
        while rest:
            m = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", rest)
            if not m:
                break
            scheme, rest = m.group(1).lower(), rest[m.end():]
            params: dict[str, str] = {}
            while True:
                p = _PARAM.match(rest)
                if not p or (not p.group(2) and "=" not in p.group(0)):
                    break
                raw = p.group(2)
                params[p.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
                rest = rest[p.end():]
            out.append(Challenge(scheme, params))
            rest = rest.lstrip(", ")
    return out


@dataclass
class RemoteImage:
    """One image resolved in the registry: what ``ImageLayout`` holds for an archive, before layers are read."""

    manifest_digest: str
    media_type: str
    config: dict
    config_digest: str
    layers: list[dict]  # descriptors: mediaType, digest, size
    platforms_available: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    index_digest: str = ""


def _sha(alg: str, data: bytes) -> str:
    return f"{alg}:{hashlib.new(alg, data).hexdigest()}"


def _error_text(resp: Response, body: bytes) -> str:
    """What the registry said, briefly: the OCI error codes when JSON, the fact of an HTML page otherwise."""
    try:
        doc = json.loads(body)
        errs = doc.get("errors") if isinstance(doc, dict) else None
        if isinstance(errs, list) and errs:
            return "; ".join(f"{e.get('code', '')}: {str(e.get('message', ''))[:120]}" for e in errs[:3]
                             if isinstance(e, dict))
    except (ValueError, UnicodeDecodeError):
        pass
    if resp.content_type == "text/html" or body.lstrip()[:1] == b"<":
        return "an HTML page"
    return f"{len(body):,} bytes of {resp.content_type or 'unknown type'}" if body else "no body"


class RegistryClient:
    def __init__(self, reference: Reference, *, credentials: Credentials | None = None,
                 options: RegistryOptions | None = None, deadline: Deadline | None = None) -> None:
        self.ref = reference
        self.options = options or RegistryOptions()
        self.deadline = deadline or Deadline(self.options.deadline)
        self.transport = Transport(self.options, self.deadline)
        self.credentials = credentials
        base = self.options.endpoints.get(reference.host)
        if base is None:
            plain = reference.hostname in {h.lower() for h in self.options.plain_http}
            base = f"{'http' if plain else 'https'}://{reference.host}"
        self.base = base.rstrip("/")
        self._authorization: str | None = None

    # -- requests and authentication --------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base}{path}"

    def _send(self, method: str, path: str, headers: dict[str, str], what: str, follow: bool = True) -> Response:
        send = dict(headers)
        if self._authorization:
            send["Authorization"] = self._authorization
        return self.transport.request(method, self._url(path), send, what=what, follow=follow)

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, what: str,
                follow: bool = True) -> Response:
        """A registry request, authenticating on a 401 challenge (once per distinct challenge and request, so a
        token that expires during a long read is simply fetched again by the next request)."""
        seen: set[tuple] = set()
        for _attempt in range(3):
            resp = self._send(method, path, headers or {}, what, follow)
            if resp.status != 401:
                if resp.status == 403:
                    body = b"" if method == "HEAD" else self._small_error(resp, what)
                    resp.close()
                    raise RegistryError("registry.E005", f"The registry refused access to {self.ref.repository} "
                                        f"(HTTP 403: {_error_text(resp, body)}) ({what}).", status=403)
                return resp
            challenges = parse_challenges(resp.headers.get_all("WWW-Authenticate") or [])
            body = b"" if method == "HEAD" else self._small_error(resp, what)
            resp.close()
            self._authenticate(challenges, what, body, resp, seen)
        raise RegistryError("registry.E005", f"The registry kept asking for authentication ({what}).")

    def _small_error(self, resp: Response, what: str) -> bytes:
        try:
            return resp.read_all(_ERROR_BODY, f"error answer to {what}")
        except RegistryError:
            return b""

    def _authenticate(self, challenges: list[Challenge], what: str, body: bytes, resp: Response,
                      seen: set[tuple]) -> None:
        usable = [c for c in challenges if c.scheme in ("bearer", "basic")]
        if not usable:
            named = ", ".join(c.scheme for c in challenges) or "none"
            raise RegistryError("registry.E005", f"The registry asks for authentication with a method this reader "
                                f"does not speak (WWW-Authenticate: {named}) ({what}).")
        ch = next((c for c in usable if c.scheme == "bearer"), usable[0])
        key = (ch.scheme, tuple(sorted(ch.params.items())))
        if key in seen:
            who = "the credentials given" if self.credentials else "anonymous access"
            raise RegistryError("registry.E005", f"The registry refused {who} for {self.ref.repository} "
                                f"({_error_text(resp, body)}) ({what}).", status=401)
        seen.add(key)
        if ch.scheme == "basic":
            if not self.credentials:
                raise RegistryError("registry.E005", f"{self.ref.host} needs a user name and password (HTTP Basic, "
                                    f"realm {ch.params.get('realm', '')!r}) ({what}).", status=401)
            self._authorization = self.credentials.basic()
            return
        self._authorization = "Bearer " + self._token(ch, what)

    def _token(self, ch: Challenge, what: str) -> str:
        realm = ch.params.get("realm", "")
        if not realm or urlsplit(realm).scheme not in ("http", "https"):
            raise RegistryError("registry.E005", f"The registry's Bearer challenge names no usable realm "
                                f"({realm[:200]!r}).")
        query: list[tuple[str, str]] = []
        if ch.params.get("service"):
            query.append(("service", ch.params["service"]))
        scopes = {f"repository:{self.ref.repository}:pull"}
        if ch.params.get("scope"):
            scopes.update(s for s in ch.params["scope"].split(" ") if s)
        query.extend(("scope", s) for s in sorted(scopes))
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        headers = {"Accept": "application/json"}
        if self.credentials:
            headers["Authorization"] = self.credentials.basic()
        with self.transport.request("GET", url, headers, what=f"token for {what}") as resp:
            body = resp.read_all(_TOKEN_BODY, "token answer", code="registry.E005")
            if resp.status in (401, 403):
                who = "the credentials given" if self.credentials else "anonymous pulls"
                raise RegistryError("registry.E005", f"The token service refused {who} for "
                                    f"{self.ref.repository} (HTTP {resp.status}: {_error_text(resp, body)}).",
                                    status=resp.status)
            if resp.status != 200:
                raise RegistryError("registry.E005", f"The token service answered HTTP {resp.status} "
                                    f"({_error_text(resp, body)}).", status=resp.status)
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            doc = None
        token = (doc.get("token") or doc.get("access_token")) if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token or len(token) > _TOKEN_BODY or any(c in token for c in "\r\n"):
            raise RegistryError("registry.E005", f"The token service answered without a token "
                                f"({_error_text(resp, body)}).")
        return token

    def ping(self) -> None:
        """``GET /v2/``: is this a registry, and how does it want us to authenticate?"""
        with self.request("GET", "/v2/", what="GET /v2/") as resp:
            body = self._small_error(resp, "GET /v2/")
            api = resp.headers.get("Docker-Distribution-API-Version")
            if resp.status == 200 and not api and _error_text(resp, body) == "an HTML page":
                raise RegistryError("registry.E007", f"{self.ref.host} answers /v2/ with an HTML page: it is not a "
                                    "container registry (check the address).")
            if resp.status == 404:
                raise RegistryError("registry.E007", f"{self.ref.host} does not implement the Registry HTTP API v2 "
                                    f"(/v2/ answered 404: {_error_text(resp, body)}).", status=404)
            if resp.status != 200:
                raise RegistryError("registry.E007", f"{self.ref.host} answered /v2/ with HTTP {resp.status} "
                                    f"({_error_text(resp, body)}).", status=resp.status)

    # -- manifests and blobs ------------------------------------------------------------------------------
    def manifest(self, ref: str, what: str) -> tuple[dict, str, str]:
        """(document, media type, digest) of a manifest or index, checked against ``ref`` when it is a digest."""
        path = f"/v2/{self.ref.repository}/manifests/{ref}"
        with self.request("GET", path, headers={"Accept": MANIFEST_ACCEPT}, what=what) as resp:
            if resp.status == 404:
                body = self._small_error(resp, what)
                raise RegistryError("registry.E006", f"{self.ref.repository}:{ref} is not in the registry "
                                    f"({_error_text(resp, body)}).", status=404)
            if resp.status != 200:
                body = self._small_error(resp, what)
                raise RegistryError("registry.E007", f"The registry answered HTTP {resp.status} for the {what} "
                                    f"({_error_text(resp, body)}).", status=resp.status)
            body = resp.read_all(self.options.max_small, what, code="container.E002")
            content_type, header_digest = resp.content_type, resp.headers.get("Docker-Content-Digest", "")
        # Integrity before parsing: bytes that are not what was asked for are never interpreted.
        m = _DIGEST.match(ref)
        alg = m.group(1) if m else "sha256"
        digest = _sha(alg, body)
        if m and digest != ref:
            raise RegistryError("registry.E010", f"The registry sent a {what} whose digest is {digest}, not the "
                                f"{ref} asked for.", expected=ref, actual=digest)
        hm = _DIGEST.match(header_digest.strip())
        if not m and hm and _sha(hm.group(1), body) != header_digest.strip():
            raise RegistryError("registry.E010", f"The {what} does not match the Docker-Content-Digest the registry "
                                f"sent ({header_digest.strip()}).", expected=header_digest.strip(), actual=digest)
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            if _error_text(resp, body) == "an HTML page":
                raise RegistryError("registry.E007", f"The registry answered the {what} request with an HTML page, "
                                    "not a manifest.") from None
            raise RegistryError("container.E002", f"The {what} is not valid JSON: {exc}.") from None
        if not isinstance(doc, dict):
            raise RegistryError("container.E002", f"The {what} is not a JSON object.")
        media = str(doc.get("mediaType") or content_type)
        return doc, media, digest

    def open_blob(self, digest: str, what: str, *, method: str = "GET") -> Response:
        """A blob response with status 200 (the caller reads and closes it). 404 → ``container.E003``."""
        follow = method == "GET"
        resp = self.request(method, f"/v2/{self.ref.repository}/blobs/{digest}", what=what, follow=follow)
        if resp.status == 200 or (method == "HEAD" and 300 <= resp.status < 400):
            return resp
        body = b"" if method == "HEAD" else self._small_error(resp, what)
        resp.close()
        if resp.status == 404:
            raise RegistryError("container.E003", f"The {what} ({digest}) is not in the registry"
                                + (f" ({_error_text(resp, body)})." if body else "."), status=404)
        raise RegistryError("registry.E007", f"The registry answered HTTP {resp.status} for the {what} "
                            f"({_error_text(resp, body)}).", status=resp.status)

    def small_blob(self, digest: str, what: str) -> bytes:
        m = _DIGEST.match(digest or "")
        if not m:
            raise RegistryError("container.E002", f"The {what} digest {digest!r} is not valid.")
        with self.open_blob(digest, what) as resp:
            data = resp.read_all(self.options.max_small, what, code="container.E002")
        if _sha(m.group(1), data) != digest:
            raise RegistryError("container.E004", f"The {what} does not match its digest {digest}.")
        return data

    def resolve(self, prefer: Sequence[str], *, explicit: bool = False) -> RemoteImage:
        """Manifest (through any index, choosing a platform) and config of the referenced image."""
        self.ping()
        notes: list[str] = []
        available: list[str] = []
        doc, media, digest = self.manifest(self.ref.ref, "image manifest")
        top_digest = digest
        for _depth in range(5):
            if "manifests" in doc or media in INDEX_TYPES:
                descs = doc.get("manifests")
                if not isinstance(descs, list):
                    raise RegistryError("container.E002", "The index has no manifests list.", digest)
                chosen = _choose(descs, prefer, notes, available)
                got = _platform(chosen.get("platform"))
                if explicit and not any(got == p or got.startswith(p + "/") for p in prefer):
                    raise RegistryError("registry.E008", f"The index offers {', '.join(available) or 'no platform'}"
                                        f", not {', '.join(prefer)}.", digest, available=available)
                ref = str(chosen.get("digest", ""))
                if not _DIGEST.match(ref):
                    raise RegistryError("container.E002", f"The index names an invalid manifest digest {ref!r}.",
                                        digest)
                doc, media, digest = self.manifest(ref, "image manifest")
                continue
            if doc.get("schemaVersion") == 1:
                raise RegistryError("container.E002", "Docker schema-1 manifests are not supported by ECR or "
                                    "SageMaker.")
            if not isinstance(doc.get("layers"), list) or not isinstance(doc.get("config"), dict):
                raise RegistryError("container.E002", "The image manifest has no layers or config.", digest)
            cfg_digest = str(doc["config"].get("digest", ""))
            raw = self.small_blob(cfg_digest, "image config")
            try:
                config = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise RegistryError("container.E002", f"The image config is not valid JSON: {exc}.",
                                    cfg_digest) from None
            if not isinstance(config, dict):
                raise RegistryError("container.E002", "The image config is not a JSON object.", cfg_digest)
            if explicit and top_digest == digest:  # a single-platform image: its config says what it is
                got = _platform(config)
                if not any(got == p or got.startswith(p + "/") for p in prefer):
                    raise RegistryError("registry.E008", f"The image is {got}, not {', '.join(prefer)}.", digest,
                                        available=[got])
            layers = []
            for i, d in enumerate(doc["layers"]):
                if not isinstance(d, dict) or not _DIGEST.match(str(d.get("digest", ""))):
                    raise RegistryError("container.E002", f"Layer {i} has no valid digest.", f"layer:{i}")
                layers.append(d)
            return RemoteImage(digest, media, config, cfg_digest, layers, available, notes,
                               top_digest if top_digest != digest else "")
        raise RegistryError("container.E002", "The index nests deeper than 5 levels.")
