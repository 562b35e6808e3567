"""What one read of an image found: plain dataclasses, JSON-serialisable with ``as_dict()``.

The report holds *facts*; ``verdicts`` turns facts plus the listing into findings. Keeping them apart lets
the rehearsal run, the pre-flight command and the report page reuse the facts without re-reading the image.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Problem:
    """Something wrong with the archive itself (hostile or broken input), already tied to a rule code."""

    code: str
    message: str
    location: str = ""
    measured: dict = field(default_factory=dict)


@dataclass
class LayerReport:
    index: int
    member: str  # path of the blob inside the uploaded archive
    digest: str = ""  # of the blob as stored (compressed for OCI), when the manifest names one
    diff_id: str = ""  # of the uncompressed tar, from the config
    media_type: str = ""
    compression: str = ""
    size_compressed: int = 0
    size_uncompressed: int = 0
    files: int = 0
    created_by: str = ""
    wasted_bytes: int = 0  # bytes this layer adds that later layers hide (overwrite or delete)
    complete: bool = False  # read to the end with digests checked


@dataclass
class WastedFile:
    path: str
    size: int
    layer: int  # where it was added
    hidden_by: int  # the layer that overwrote or deleted it
    how: str  # "overwritten" | "deleted"


@dataclass
class CacheUse:
    kind: str  # pip | apt-lists | apt-archives | conda-pkgs | …
    path: str
    bytes: int
    files: int


@dataclass
class SecretHit:
    kind: str  # aws-access-key | aws-secret-key | private-key | token | credentials-file | sensitive-env
    where: str  # file | env | history | label
    location: str
    masked: str  # never the value itself
    aws: bool = False  # an AWS credential (a failure) rather than another secret (a warning)
    present: bool = True  # False: deleted by a later layer — still in the image's history, still leaked


@dataclass
class DownloadHint:
    kind: str  # from_pretrained | hub-download | pip-install | curl | wget | …
    location: str
    excerpt: str


@dataclass
class Package:
    ecosystem: str  # deb | apk | rpm | pypi | conda
    name: str
    version: str
    arch: str = ""
    source: str = ""  # the file it was read from
    license: str = ""


@dataclass
class ImageConfig:
    os: str = ""
    architecture: str = ""
    variant: str = ""
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # sensitive values already masked
    exposed_ports: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    user: str = ""
    workdir: str = ""


@dataclass
class ImageReport:
    archive: str
    format: str = ""  # docker-save | oci
    complete: bool = False  # every layer read to its end, every digest checked
    manifest_digest: str = ""
    config_digest: str = ""
    repo_tags: list[str] = field(default_factory=list)
    platforms_available: list[str] = field(default_factory=list)  # "linux/amd64" … when an index offers several
    config: ImageConfig = field(default_factory=ImageConfig)
    layers: list[LayerReport] = field(default_factory=list)
    size_compressed: int = 0
    size_uncompressed: int = 0
    size_final: int = 0  # bytes of the files a container actually sees
    files_final: int = 0
    wasted_bytes: int = 0
    overwritten_bytes: int = 0
    deleted_bytes: int = 0
    efficiency: float = 1.0  # dive's measure: 1 - wasted / uncompressed
    top_wasted: list[WastedFile] = field(default_factory=list)
    caches: list[CacheUse] = field(default_factory=list)
    cuda_libraries: list[str] = field(default_factory=list)
    nvidia_driver_files: list[str] = field(default_factory=list)
    frameworks: list[Package] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    os_release: dict[str, str] = field(default_factory=dict)  # ID, VERSION_ID … from /etc/os-release
    package_notes: list[str] = field(default_factory=list)  # databases found but not read, and why
    secrets: list[SecretHit] = field(default_factory=list)
    download_hints: list[DownloadHint] = field(default_factory=list)
    executables: dict[str, str] = field(default_factory=dict)  # "serve"/"train"/"entrypoint" → path found
    absolute_symlinks: int = 0  # fine inside a container; the rehearsal unpacker resolves them in the root
    text_bytes_scanned: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, code: str, message: str, location: str = "", **measured: object) -> None:
        self.problems.append(Problem(code, message, location, dict(measured)))

    def as_dict(self) -> dict:
        return asdict(self)
