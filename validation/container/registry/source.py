"""``analyse_reference``: the same static analysis as ``analyse_image``, reading layers from a registry.

The seam: ``analysis._analyse`` opens an archive (``index_members`` → ``open_layout``) and hands each layer to
``LayerWalker.read(fd, ref, lr)``, whose ``_read`` pulls the blob with ``os.pread`` (``streams.sniff`` /
``streams.layer_bytes``). Here the layout comes from the registry (``RegistryClient.resolve``) and
``RemoteLayerWalker._read`` feeds the walker the HTTP body instead: the same decompressors
(``streams._gzip/_zstd/_plain``), the same bomb ``Guard``, the same tar reader, tree, content scanner and
summary, so a pushed image yields the report its archive would. Nothing is written to disk; memory per layer
is a few chunks, as for archives.

This module supplies only the registry side: the layout, the blob opener and the per-layer error policy;
``analysis.analyse_layout`` and ``walker.LayerWalker._walk_layer`` do the rest for both sources.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator, Mapping
from functools import partial

from validation.container.analysis import Progress, _CallbackError, analyse_layout
from validation.container.archive import ImageLayout, LayerRef, Member
from validation.container.content import ContentScanner
from validation.container.instances import preferred_platforms
from validation.container.limits import DEFAULT_LIMITS, ReadLimits
from validation.container.registry.client import Credentials, RegistryClient, RemoteImage
from validation.container.registry.ecr import ecr_credentials, parse_ecr_host
from validation.container.registry.errors import RegistryError
from validation.container.registry.reference import Reference, parse_reference
from validation.container.registry.transport import Deadline, RegistryOptions, Response
from validation.container.report import ImageReport, LayerReport
from validation.container.streams import (_UNSUPPORTED, GZIP_MAGIC, ZSTD_MAGIC, Guard, LayerReadError,
                                          LayerTruncated, StreamStats, _gzip, _plain, _zstd)
from validation.container.walker import LayerWalker

# A registry failure after which no further layer can be read (the per-layer ones — a missing blob, a digest
# mismatch — let the read go on with the next layer).
FATAL = {"registry.E002", "registry.E003", "registry.E004", "registry.E005", "registry.E007"}
FORMAT = "registry"


class BlobReader:
    """The body of a blob response, with a small look-ahead for sniffing the compression."""

    def __init__(self, resp: Response, what: str) -> None:
        self._resp, self._what = resp, what
        self._pending = b""

    def peek(self, n: int) -> bytes:
        while len(self._pending) < n:
            data = self._resp.read(n - len(self._pending), self._what)
            if not data:
                break
            self._pending += data
        return self._pending[:n]

    def read(self, n: int) -> bytes:
        if self._pending:
            out, self._pending = self._pending[:n], self._pending[n:]
            return out
        return self._resp.read(n, self._what)


class HttpRegion:
    """``streams.Region`` for a blob arriving over HTTP: at most ``size`` bytes, hashed and metered."""

    def __init__(self, blob: BlobReader, size: int, hashers: list, meter: Callable[[int], None],
                 stats: StreamStats) -> None:
        self._blob, self._size, self._hashers, self._meter, self._stats = blob, size, hashers, meter, stats
        self._done = 0

    def read(self, n: int = -1) -> bytes:
        left = self._size - self._done
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        data = self._blob.read(n)
        if not data:
            raise LayerTruncated(f"the registry sent {self._done:,} of the {self._size:,} bytes the manifest "
                                 "declares")
        for h in self._hashers:
            h.update(data)
        self._done += len(data)
        self._stats.compressed += len(data)
        self._meter(len(data))
        return data


def sniff_blob(blob: BlobReader) -> str:
    head = blob.peek(8)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    for magic, name in _UNSUPPORTED.items():
        if head.startswith(magic):
            raise LayerReadError(f"the layer is {name}-compressed; OCI layers are tar, gzip or zstd")
    return "none"


def remote_layer_bytes(blob: BlobReader, size: int, *, compression: str, blob_hashers: list, diff_hashers: list,
                       meter: Callable[[int], None], guard: Guard, stats: StreamStats,
                       limits: ReadLimits) -> Iterator[bytes]:
    """``streams.layer_bytes`` over an HTTP body."""
    stats.compression = compression
    if compression == "none":
        region = HttpRegion(blob, size, blob_hashers + diff_hashers, meter, stats)
        for data in _plain(region, limits.chunk_size):
            guard.check(stats, len(data))
            yield data
        return
    region = HttpRegion(blob, size, blob_hashers, meter, stats)
    produce = _gzip if compression == "gzip" else _zstd
    for out in produce(region, limits.chunk_size):
        for h in diff_hashers:
            h.update(out)
        guard.check(stats, len(out))
        yield out
    if region.read(1):
        raise LayerReadError("bytes after the end of the compressed stream")


class RemoteLayerWalker(LayerWalker):
    """``LayerWalker`` whose layers come from the registry; ``fd`` is unused (kept for the signature)."""

    def __init__(self, report: ImageReport, limits: ReadLimits, scanner: ContentScanner,
                 meter: Callable[[int], None], client: RegistryClient) -> None:
        super().__init__(report, limits, scanner, meter)
        self.client = client

    def _read(self, fd: int, ref: LayerRef, lr: LayerReport) -> None:
        size = ref.member.size
        lr.size_compressed = size
        what = f"layer {ref.index}"
        resp = self.client.open_blob(ref.digest, what)
        try:
            length = resp.content_length
            if length is not None and length != size:
                self.report.problem("container.E004", f"Layer {ref.index} is {length:,} bytes in the registry but the "
                                    f"manifest says {size:,}.", f"layer:{ref.index}", size=length, declared=size)
            blob = BlobReader(resp, what)
            compression = sniff_blob(blob)
            self._walk_layer(ref, lr, compression, partial(remote_layer_bytes, blob, size))
        finally:
            resp.close()


def _platform_arg(platform: str | None) -> list[str] | None:
    if not platform:
        return None
    p = platform.strip().lower()
    return [p if "/" in p else f"linux/{p}"]


def _layout(image: RemoteImage, ref: Reference) -> ImageLayout:
    layers = []
    for i, d in enumerate(image.layers):
        digest = str(d["digest"])
        size = d.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RegistryError("container.E002", f"Layer {i} descriptor has no valid size.", f"layer:{i}")
        member = Member(f"blobs/{digest.replace(':', '/', 1)}", 0, size, tarfile.REGTYPE, "")
        layers.append(LayerRef(i, member, digest, "", str(d.get("mediaType", "")), size))
    tags = [f"{ref.host}/{ref.repository}:{ref.tag}"] if ref.tag else []
    layout = ImageLayout(FORMAT, image.config, image.config_digest, layers, image.manifest_digest, tags,
                         image.platforms_available, list(image.notes))
    rootfs = layout.config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(layout.layers):
        raise RegistryError("container.E002", f"The config lists {len(diff_ids) if isinstance(diff_ids, list) else 0}"
                            f" diff_ids for {len(layout.layers)} layers.", "config:rootfs")
    for lref, diff in zip(layout.layers, diff_ids):
        lref.diff_id = diff if isinstance(diff, str) else ""
    return layout


def analyse_reference(reference: str | Reference, listing: Mapping | None = None, *, progress: Progress | None = None,
                      credentials: Credentials | tuple[str, str] | None = None, platform: str | None = None,
                      options: RegistryOptions | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> ImageReport:
    """Read the image at ``reference`` from its registry once and report what is in it.

    ``credentials``: user/password for the registry (Basic, or for the token service); for ECR names they
    default to ``ecr:GetAuthorizationToken``. ``platform`` ("linux/arm64", "arm64"): which image of an index
    to read — a failure (``registry.E008``) when absent; by default the listing's instance types choose, as
    for archives. Failures of the registry become ``registry.E0xx`` problems in the report; no exception from
    the network escapes (the caller's progress callback's own exceptions do).
    """
    report = ImageReport(archive=str(reference)[:300])
    report.format = FORMAT
    listing = listing or {}
    try:
        ref = reference if isinstance(reference, Reference) else parse_reference(str(reference))
        report.archive = str(ref)
        opts = options or RegistryOptions()
        deadline = Deadline(opts.deadline)
        if isinstance(credentials, tuple):
            credentials = Credentials(*credentials)
        if credentials is None and parse_ecr_host(ref.hostname):
            credentials = ecr_credentials(ref.hostname, endpoint_url=opts.ecr_endpoint_url,
                                          connect_timeout=opts.connect_timeout,
                                          read_timeout=min(opts.read_timeout, max(1.0, deadline.remaining())))
        client = RegistryClient(ref, credentials=credentials, options=opts, deadline=deadline)
        explicit = _platform_arg(platform)
        image = client.resolve(explicit or preferred_platforms(listing), explicit=explicit is not None)
        _analyse_remote(client, image, ref, listing, progress, limits, report)
    except _CallbackError as exc:
        raise exc.__cause__ or exc  # noqa: B904 - the caller's own exception, unchanged
    except RegistryError as exc:
        report.problem(exc.code, exc.message, exc.location, **exc.measured)
    except Exception as exc:  # a bug or an answer we did not foresee: a finding, not a dead run
        report.problem("container.E001", f"The image could not be analysed ({type(exc).__name__}: {exc}).")
    return report


def _check_sizes(layout: ImageLayout, opts: RegistryOptions) -> None:
    for lref in layout.layers:
        if lref.member.size > opts.max_layer_bytes:
            raise RegistryError("registry.E011", f"Layer {lref.index} is {lref.member.size:,} bytes; this reader "
                                f"stops at {opts.max_layer_bytes:,}.", f"layer:{lref.index}",
                                size=lref.member.size, max=opts.max_layer_bytes)
    total = sum(lref.member.size for lref in layout.layers)
    if total > opts.max_image_bytes:
        raise RegistryError("registry.E011", f"The image's layers are {total:,} bytes together; this reader stops at "
                            f"{opts.max_image_bytes:,}.", size=total, max=opts.max_image_bytes)


def _check_blobs(client: RegistryClient, layout: ImageLayout, report: ImageReport) -> None:
    """Fail early and cheap: a HEAD per layer finds missing blobs before gigabytes are read (an archive's
    missing member is found the same way, before any layer). A registry that does not answer HEAD usefully
    (405, 5xx) is left to the GET."""
    missing = []
    for lref in layout.layers:
        try:
            client.open_blob(lref.digest, f"layer {lref.index} blob", method="HEAD").close()
        except RegistryError as exc:
            if exc.code == "container.E003":
                missing.append(RegistryError(exc.code, f"Layer {lref.index} blob {lref.digest} is not in the "
                                             "registry.", f"layer:{lref.index}", digest=lref.digest))
            elif exc.code in FATAL - {"registry.E007"}:
                raise
    if missing:
        for exc in missing[1:]:
            report.problem(exc.code, exc.message, exc.location, **exc.measured)
        raise missing[0]


def _analyse_remote(client: RegistryClient, image: RemoteImage, ref: Reference, listing: Mapping,
                    progress: Progress | None, limits: ReadLimits, report: ImageReport) -> None:
    layout = _layout(image, ref)
    _check_sizes(layout, client.options)
    _check_blobs(client, layout, report)

    def read_layer(walker: LayerWalker, lref: LayerRef, lr: LayerReport) -> bool:
        """A failed layer is a problem and the read goes on, unless the registry itself is gone (``FATAL``)."""
        try:
            walker.read(-1, lref, lr)
        except RegistryError as exc:
            report.problem(exc.code, f"Layer {lref.index}: {exc.message}", exc.location or f"layer:{lref.index}",
                           **exc.measured)
            if exc.code in FATAL:
                report.notes.append(f"The read stopped at layer {lref.index} of {len(layout.layers)}.")
                return False
        return True

    new_walker = partial(RemoteLayerWalker, client=client)
    analyse_layout(layout, new_walker, read_layer, progress, limits, report)
