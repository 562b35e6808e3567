"""Real registries for the registry-source tests, all on loopback and all stopped afterwards.

- ``Registry``: Debian's ``docker-registry`` (distribution 2.8) on a free 127.0.0.1 port with a temp storage
  folder and a generated config — no auth, ``htpasswd`` (bcrypt through the C library's ``crypt``) or
  ``token`` auth. Token auth is the real thing: ``TokenServer`` (a thread) signs RS256 JWTs with a key whose
  self-signed certificate is the registry's ``rootcertbundle``, carrying the certificate in the ``x5c``
  header — so the registry itself verifies what the client obtained.
- ``push``: ``skopeo copy`` of an archive built by ``imagebuild`` into a registry.
- ``Front``: a small HTTP proxy in front of a registry that can damage answers (missing blob, corrupted
  bytes, redirect elsewhere); ``silent_server`` accepts and never answers; ``html_server`` is a web page.
- ``MotoServer``: ``moto_server`` on loopback for ECR's GetAuthorizationToken.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.processes import free_port, moto_server, stop_process, wait_http  # noqa: F401  (used by the tests too)

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"
SKOPEO_BIN = shutil.which("skopeo") or "/usr/bin/skopeo"

# -- JWT (RS256) for distribution's token auth --------------------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

@dataclass
class SigningKey:
    key: object
    cert_pem: bytes
    cert_der: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test token issuer")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return cls(key, cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.DER))

    def jwt(self, claims: dict) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode("ascii")]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        sig = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(sig)}"

def tls_certificate(workdir: Path, names: tuple[str, ...] = ("localhost",)) -> tuple[Path, Path]:
    """A self-signed server certificate (its own CA) for ``names``: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = workdir / "tls-cert.pem", workdir / "tls-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

@contextlib.contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)

class TokenServer:
    """Issues registry tokens for ``users`` (Basic auth); records every request (service, scopes, user)."""

    def __init__(self, users: dict[str, str], *, service: str = "test-registry", issuer: str = "test-issuer",
                 anonymous_pull: bool = False) -> None:
        self.users, self.service, self.issuer, self.anonymous_pull = users, service, issuer, anonymous_pull
        self.key = SigningKey.generate()
        self.requests: list[dict] = []
        self._cm: contextlib.AbstractContextManager | None = None
        self.port = 0

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def _grant(self, query: dict[str, list[str]], user: str | None) -> tuple[int, dict]:
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository" or not name:
                continue
            wanted = [a for a in actions.split(",") if a]
            if user is None:
                wanted = [a for a in wanted if a == "pull"] if self.anonymous_pull else []
            if wanted:
                access.append({"type": "repository", "name": name, "actions": wanted})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user or "", "aud": query.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        token = self.key.jwt(claims)
        return 200, {"token": token, "access_token": token, "expires_in": 300}

    def __enter__(self) -> TokenServer:
        owner = self

        class Handler(_Quiet):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                user = None
                auth = self.headers.get("Authorization", "")
                record = {"path": parts.path, "service": query.get("service", []), "scope": query.get("scope", []),
                          "auth": auth.split(" ", 1)[0]}
                owner.requests.append(record)
                if auth.startswith("Basic "):
                    try:
                        u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                    except ValueError:
                        u, p = "", ""
                    if owner.users.get(u) != p:
                        return self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad password"}]})
                    user = u
                elif not owner.anonymous_pull:
                    return self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "credentials needed"}]})
                record["user"] = user
                self._send(*owner._grant(query, user))

            def _send(self, status: int, doc: dict) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._cm = serve(Handler)
        self.port = self._cm.__enter__().server_address[1]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._cm is not None
        self._cm.__exit__(*exc)

def bcrypt_hash(password: str) -> str:
    """bcrypt (what distribution's htpasswd auth reads) via libxcrypt's ``crypt`` — Python's ``crypt`` module,
    present until 3.13 — or the ``bcrypt`` package when installed. Cost 4: the registry checks it per request."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        if h and h.startswith("$2"):
            return h
    except ImportError:
        pass
    try:
        import bcrypt
    except ImportError:
        raise RuntimeError("no bcrypt: neither Python's crypt module nor the bcrypt package is available") from None
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()

@dataclass
class Registry:
    """``docker-registry serve`` on a free loopback port. ``auth``: None | "htpasswd" | "token"."""

    workdir: Path
    auth: str | None = None
    users: dict[str, str] = field(default_factory=dict)
    token_server: TokenServer | None = None
    tls: tuple[Path, Path] | None = None  # (certificate, key): serve https
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def storage(self) -> Path:
        return self.workdir / "storage"

    def config(self) -> str:
        lines = ["version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true", "storage:",
                 "  filesystem:", f"    rootdirectory: {self.storage}", "  delete:", "    enabled: true",
                 "http:", f"  addr: 127.0.0.1:{self.port}", f"  secret: {uuid.uuid4().hex}"]
        if self.tls:
            lines += ["  tls:", f"    certificate: {self.tls[0]}", f"    key: {self.tls[1]}"]
        if self.auth == "htpasswd":
            path = self.workdir / "htpasswd"
            path.write_text("".join(f"{u}:{bcrypt_hash(p)}\n" for u, p in self.users.items()))
            lines += ["auth:", "  htpasswd:", "    realm: test-realm", f"    path: {path}"]
        elif self.auth == "token":
            assert self.token_server is not None
            bundle = self.workdir / "token-cert.pem"
            bundle.write_bytes(self.token_server.key.cert_pem)
            ts = self.token_server
            lines += ["auth:", "  token:", f"    realm: {ts.realm}", f"    service: {ts.service}",
                      f"    issuer: {ts.issuer}", f"    rootcertbundle: {bundle}"]
        return "\n".join(lines) + "\n"

    def __enter__(self) -> Registry:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(exist_ok=True)
        self.port = free_port()
        cfg = self.workdir / "config.yml"
        cfg.write_text(self.config())
        log = open(self.workdir / "registry.log", "wb")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        log.close()
        try:
            wait_http(self.port, "/v2/", proc=self.proc, tls=bool(self.tls))
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def log(self) -> str:
        path = self.workdir / "registry.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

def push(archive: Path, registry_host: str, repo_tag: str, *, creds: str | None = None, all_platforms: bool = False,
         docker_format: bool = False, docker_archive: bool = False) -> None:
    """``skopeo copy`` an archive into ``registry_host`` (plain http on loopback)."""
    src = f"{'docker-archive' if docker_archive else 'oci-archive'}:{archive}"
    cmd = [SKOPEO_BIN, "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"]
    if creds:
        cmd += ["--dest-creds", creds]
    if all_platforms:
        cmd.append("--all")
    if docker_format:
        cmd += ["--format", "v2s2"]
    cmd += [src, f"docker://{registry_host}/{repo_tag}"]
    env = {**os.environ, "HOME": str(archive.parent)}  # skopeo's auth/cache files stay in the test's folder
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    if done.returncode:
        raise RuntimeError(f"skopeo failed ({done.returncode}): {done.stderr[-2000:]}")

def push_raw(archive: Path, registry_port: int, repo_tag: str) -> None:
    """Push a single-image OCI layout archive byte for byte through the Registry API (monolithic uploads).
    ``skopeo`` compresses uncompressed layers on the way; this keeps them as they are."""
    import hashlib
    import tarfile

    repo, tag = repo_tag.rsplit(":", 1)
    with tarfile.open(archive) as tar:
        def member(name: str) -> bytes:
            f = tar.extractfile(name)
            assert f is not None
            return f.read()

        index = json.loads(member("index.json"))
        desc = index["manifests"][0]
        manifest = member("blobs/" + desc["digest"].replace(":", "/"))
        doc = json.loads(manifest)
        for d in [doc["config"], *doc["layers"]]:
            data = member("blobs/" + d["digest"].replace(":", "/"))
            assert "sha256:" + hashlib.sha256(data).hexdigest() == d["digest"]
            conn = http.client.HTTPConnection("127.0.0.1", registry_port, timeout=10)
            conn.request("POST", f"/v2/{repo}/blobs/uploads/")
            resp = conn.getresponse()
            resp.read()
            location = urlsplit(resp.getheader("Location", ""))
            assert resp.status == 202, resp.status
            path = location.path + "?" + (location.query + "&" if location.query else "") + f"digest={d['digest']}"
            conn.request("PUT", path, body=data, headers={"Content-Type": "application/octet-stream"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 201, resp.status
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", registry_port, timeout=10)
        conn.request("PUT", f"/v2/{repo}/manifests/{tag}", body=manifest, headers={"Content-Type": doc["mediaType"]})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 201, (resp.status, body)


# -- misbehaving servers -------------------------------------------------------------------------------------
@dataclass
class FrontRules:
    missing: set[str] = field(default_factory=set)  # blob digests answered with 404 BLOB_UNKNOWN
    corrupt: set[str] = field(default_factory=set)  # blob digests or manifest refs whose last byte is flipped
    redirect: dict[str, str] = field(default_factory=dict)  # digest → Location for a 307
    challenge_once: dict[str, str] = field(default_factory=dict)  # digest → WWW-Authenticate of one 401 (expiry)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) seen

@contextlib.contextmanager
def front(upstream_port: int, rules: FrontRules | None = None) -> Iterator[tuple[int, FrontRules]]:
    """A proxy to a registry on ``upstream_port`` that damages what ``rules`` say (headers kept, bodies
    streamed; Location headers rewritten back to the front)."""
    rules = rules or FrontRules()

    class Handler(_Quiet):
        def _proxy(self) -> None:
            method, path = self.command, self.path
            rules.requests.append((method, path))
            digest = path.rsplit("/", 1)[-1] if ("/blobs/" in path or "/manifests/" in path) else ""
            if digest in rules.missing:
                body = b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)
                return
            if digest in rules.challenge_once and method == "GET":
                self.send_response(401)
                self.send_header("WWW-Authenticate", rules.challenge_once.pop(digest))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if digest in rules.redirect:
                self.send_response(307)
                self.send_header("Location", rules.redirect[digest])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            length = int(self.headers.get("Content-Length") or 0)
            conn.request(method, path, body=self.rfile.read(length) if length else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if digest in rules.corrupt and data:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() in ("connection", "transfer-encoding", "content-length"):
                    continue
                if k.lower() == "location":
                    v = v.replace(f"127.0.0.1:{upstream_port}", f"127.0.0.1:{self.server.server_address[1]}")
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data) if method != "HEAD" else resp.getheader(
                "Content-Length", "0")))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(data)
            conn.close()

        do_GET = do_HEAD = _proxy  # noqa: N815

    with serve(Handler) as srv:
        yield srv.server_address[1], rules

@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a registry that hangs)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def loop() -> None:
        lsock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield lsock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for c in held:
            c.close()
        lsock.close()

@contextlib.contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """A socket server that runs ``answer(conn)`` for each connection in a thread (garbage, drips …)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def handle(conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            answer(conn)
        except OSError:
            pass

    def loop() -> None:
        lsock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield lsock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        lsock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def garbage_answer(conn: socket.socket) -> None:
    """Not HTTP at all (an SSH server on the registry's port)."""
    _read_request(conn)
    conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\x00\x01\x2c garbage")
    conn.close()


def drip_answer(conn: socket.socket, stop_after: float = 20.0) -> None:
    """Answers /v2/ like a registry, then sends every other answer one byte every 0.1 s (never finishing in time)."""
    request = _read_request(conn)
    if request.startswith(b"GET /v2/ "):
        conn.sendall(b"HTTP/1.1 200 OK\r\nDocker-Distribution-Api-Version: registry/2.0\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        conn.close()
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                 b"Content-Length: 100000\r\nConnection: close\r\n\r\n")
    end = time.monotonic() + stop_after
    while time.monotonic() < end:
        conn.sendall(b" ")
        time.sleep(0.1)
    conn.close()


@contextlib.contextmanager
def html_server(status: int = 200) -> Iterator[int]:
    """A web server answering every path with an HTML page (a reference that names a website)."""

    class Handler(_Quiet):
        def do_GET(self) -> None:  # noqa: N802
            body = b"<!doctype html><html><body><h1>Welcome to our product page</h1></body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET  # noqa: N815

    with serve(Handler) as srv:
        yield srv.server_address[1]

def aws_test_env() -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1"}

Callback = Callable[[int, int], None]
