"""What individual files tell us: package databases, Python distributions, secrets, download hints (while
streaming), and caches, CUDA libraries and NVIDIA drivers (from the final tree).

Only small files are read, each at most once, from the start of the member; the rest of every member
passes by unread except for hashing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from validation.container import sbom
from validation.container.downloads import scan_code
from validation.container.limits import ReadLimits
from validation.container.report import DownloadHint, Package, SecretHit
from validation.container.secrets import is_credential_file, scan_bytes

# Caches that only the build needed (dive's "wasted space" that the seller can delete in the same RUN).
_CACHE = re.compile("|".join(f"(?P<{kind}>{prefix})(?=/)" for kind, prefix in (
    ("pip", r"^(?:root|home/[^/]+)/\.cache/pip"),
    ("uv", r"^(?:root|home/[^/]+)/\.cache/uv"),
    ("poetry", r"^(?:root|home/[^/]+)/\.cache/pypoetry"),
    ("apt_lists", r"^var/lib/apt/lists"),
    ("apt_archives", r"^var/cache/apt"),
    ("conda_pkgs", r"^(?:[^/]+/)*?(?:conda|miniconda3?|anaconda3?|miniforge3?|mambaforge|micromamba|\.conda)/pkgs"),
    ("yum_dnf", r"^var/cache/(?:yum|dnf)"),
    ("apk", r"^var/cache/apk"),
    ("npm", r"^(?:root|home/[^/]+)/\.npm"),
)))
_CACHE_IGNORED = re.compile(r"^var/lib/apt/lists/(lock|partial)$")

CUDA_LIB = re.compile(r"(?:^|/)lib(cudart|cublas|cublasLt|cudnn[a-z_]*)\.so(\.\d+)*$")
# A bundled driver: the buyer's host provides these; a copy in the image breaks on every other driver.
# CUDA's link stubs and the cuda-compat forward-compatibility libraries are meant to be in images.
DRIVER = re.compile(r"(?:^|/)(libcuda\.so(\.\d+)*|libnvidia-[a-z0-9_-]+\.so(\.\d+)*"
                    r"|nvidia[a-z0-9_-]*\.ko(\.(xz|zst|gz))?)$")
DRIVER_OK = re.compile(r"/stubs/|/compat/|(^|/)cuda-compat")

_LIBRARY = re.compile(
    r"(^|/)(site-packages|dist-packages|node_modules|__pycache__|\.cache|\.git)/"
    r"|^(usr/(share|include|lib|lib32|lib64|libexec|src)|lib|lib32|lib64|proc|sys|dev|var/lib/(dpkg|apt|rpm)|"
    r"var/cache|var/log|etc/ssl/certs|usr/local/(lib|include|share|cuda[^/]*))/"
    r"|(^|/)(conda|miniconda3?|anaconda3?|miniforge3?)/(pkgs|lib|include|share)/"
)
_TEXT_EXT = {".py", ".sh", ".bash", ".env", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
             ".properties", ".txt", ".pem", ".key", ".ipynb", ".js", ".r", ".sql", ".credentials"}
_APP_DIRS = ("opt/", "app/", "srv/", "home/", "root/", "code/", "workspace/", "usr/local/bin/", "etc/", "tmp/")
_SCRIPT_EXT = {".py", ".sh", ".bash"}


def cache_kind(path: str) -> tuple[str, str] | None:
    m = _CACHE.match(path)
    if not m or _CACHE_IGNORED.match(path):
        return None
    kind = m.lastgroup or "cache"
    return kind.replace("_", "-"), m.group(kind)


class ContentScanner:
    """Per-file reads during the stream; remembers per path so that later layers can hide what it found."""

    def __init__(self, limits: ReadLimits, scripts: set[str], offline: bool) -> None:
        self._limits = limits
        self._scripts = scripts  # paths the command line names: always scanned for download hints
        self._offline = offline
        self.packages: dict[str, tuple[int, list[Package]]] = {}
        self.os_release: dict[str, tuple[int, dict[str, str]]] = {}
        self.secrets: list[tuple[SecretHit, str, int]] = []
        self.hints: list[DownloadHint] = []
        self.notes: set[str] = set()
        self.text_bytes = 0
        self.skipped_budget = 0

    def forget(self, path: str) -> None:
        """A later layer hid ``path``: its packages no longer exist in the running container."""
        self.packages.pop(path, None)
        self.os_release.pop(path, None)

    def _want(self, path: str, size: int) -> tuple[int, list[str]]:
        lim = self._limits
        jobs: list[str] = []
        want = 0
        if sbom.DPKG_STATUS.match(path) or path in (sbom.APK_INSTALLED, sbom.RPM_SQLITE):
            if size <= lim.package_db_max:
                jobs.append("db")
                want = size
            else:
                self.notes.add(f"/{path} is {size:,} bytes, over the {lim.package_db_max:,}-byte limit: not read")
        elif path in sbom.RPM_UNREADABLE:
            self.notes.add(f"/{path} is an rpm {sbom.RPM_UNREADABLE[path]} database, which is not read: "
                           "rpm packages are missing from the SBOM")
        elif path in sbom.OS_RELEASE:
            jobs.append("os")
            want = min(size, 4096)
        elif sbom.PY_METADATA.search(path):
            jobs.append("py")
            want = min(size, lim.metadata_max)
        is_script = path in self._scripts
        if is_script or (size <= lim.text_file_max and self._eligible(path)):
            n = min(size, lim.script_max) if is_script else size
            if self.text_bytes + n <= lim.text_total_max:
                jobs.append("text")
                want = max(want, n)
            else:
                self.skipped_budget += 1
        return want, jobs

    @staticmethod
    def _eligible(path: str) -> bool:
        if _LIBRARY.search(path):
            return False
        if is_credential_file(path):
            return True
        dot = path.rfind(".")
        ext = path[dot:].lower() if dot > path.rfind("/") else ""
        return ext in _TEXT_EXT or (not ext and path.startswith(_APP_DIRS))

    def on_file(self, path: str, size: int, layer: int, read: Callable[[int], bytes]) -> None:
        if _CACHE.match(path):  # a cache (e.g. conda's pkgs/) holds copies, not installed software
            return
        m = sbom.CONDA_META.search(path)
        if m:  # the file name is the record: name-version-build.json
            self.packages[path] = (layer, [Package("conda", m.group(1), m.group(2), "", path)])
            return
        want, jobs = self._want(path, size)
        if not jobs:
            return
        data = read(want)
        for job in jobs:
            if job == "db":
                self._db(path, data, layer)
            elif job == "os":
                self.os_release[path] = (layer, sbom.parse_os_release(data))
            elif job == "py":
                pkg = sbom.parse_python_metadata(data, path)
                if pkg:
                    self.packages[path] = (layer, [pkg])
            elif job == "text":
                self._text(path, data, layer)

    def _db(self, path: str, data: bytes, layer: int) -> None:
        try:
            if path == sbom.RPM_SQLITE:
                pkgs = sbom.parse_rpm_sqlite(data, path)
            elif path == sbom.APK_INSTALLED:
                pkgs = sbom.parse_apk(data, path)
            else:
                pkgs = sbom.parse_dpkg(data, path)
        except Exception as exc:  # a damaged database is a note in the SBOM, not a crashed analysis
            self.notes.add(f"/{path} could not be read: {type(exc).__name__}: {exc}")
            return
        self.packages[path] = (layer, pkgs)

    def _text(self, path: str, data: bytes, layer: int) -> None:
        self.text_bytes += len(data)
        if b"\0" in data[:1024]:
            return
        location = f"layer:{layer}:/{path}"
        for hit in scan_bytes(data, "file", location):
            self.secrets.append((hit, path, layer))
        if is_credential_file(path) and data.strip():
            hit = SecretHit("credentials-file", "file", location, f"{len(data):,} bytes",
                            aws=path.endswith(".aws/credentials"))
            self.secrets.append((hit, path, layer))
        dot = path.rfind(".")
        ext = path[dot:] if dot > path.rfind("/") else ""
        if path in self._scripts or ext in _SCRIPT_EXT or data.startswith(b"#!"):
            python = ext == ".py" or (data.startswith(b"#!") and b"python" in data[:80])
            if len(self.hints) < 50:
                self.hints.extend(scan_code(data, location, python=python, offline=self._offline))
