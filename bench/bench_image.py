"""Benchmark: image static analysis vs `sha256sum` over the same archive (DESIGN.md "Non-functional targets").

Targets: analysis throughput >= 0.7x `sha256sum`; peak RSS < 200 MB whatever the image size (shown by two
sizes). The analysis is the product's own ``analyse_image`` — outer index, manifest/config, every layer
streamed, hashed (blob and diff_id) and parsed, waste/caches/secrets/SBOM — plus its findings.

The archive is a `docker save` tar built here (default) with incompressible layer data: a few big files and
many small ones per layer, a whiteout and a pip cache so the waste paths run too. ``--format oci-gzip`` or
``oci-zstd`` builds an OCI layout with compressed layers instead (then both digests are checked: the blob
and the uncompressed diff_id). Both tools run as child processes on warm page cache; sha256sum is timed
from spawn to exit, the analysis times itself in its child (interpreter start-up excluded, as in a worker).
Peak RSS is the child's VmHWM (ru_maxrss from wait4 over-counts: it includes the parent's pre-exec pages).

    python bench/bench_image.py                    # 512 MB and 2 GB docker-save archives
    python bench/bench_image.py --size-mb 4096     # 1 GB and 4 GB
    python bench/bench_image.py --quick            # 64 MB and 256 MB, one repeat
    python bench/bench_image.py --archive img.tar  # an existing archive (one size)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MiB = 1 << 20
SHA256SUM = shutil.which("sha256sum") or "/usr/bin/sha256sum"
_BLOCK = os.urandom(16 * MiB)  # rotate through one random block: incompressible, cheap to produce


def _random(size: int, seed: int) -> Iterator[bytes]:
    pos = (seed * 7919 * 4096) % len(_BLOCK)
    while size:
        piece = _BLOCK[pos: pos + min(size, MiB)]
        yield piece
        size -= len(piece)
        pos = (pos + len(piece)) % len(_BLOCK)


def _header(name: str, size: int, kind: bytes = tarfile.REGTYPE, mode: int = 0o644) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode, info.mtime = size, kind, mode, 0
    return info.tobuf(format=tarfile.PAX_FORMAT)


def _layer(index: int, size: int) -> Iterator[bytes]:
    """One layer tar as a byte stream (deterministic, so it can be produced twice: to hash, then to write)."""
    small = 300
    yield _header(f"opt/app{index}/", 0, tarfile.DIRTYPE, 0o755)
    for i in range(small):  # many small text files: header parsing and the secret/text scan
        body = (f"# module {index}.{i}\nimport os\nVALUE = {i}\n" * 20).encode()
        yield _header(f"opt/app{index}/pkg/mod{i}.py", len(body)) + body + bytes(-len(body) % 512)
        size -= 512 + len(body) + (-len(body) % 512)
    if index == 1:
        cache = 4 * MiB
        yield _header("root/.cache/pip/http/blob.bin", cache)
        yield from _random(cache, 99)
        size -= 512 + cache
    if index == 2:
        yield _header("opt/app0/.wh.big0.bin", 0)
        size -= 512
    n = 0
    while size > 2048:
        chunk = min(size - 2048, 256 * MiB)
        chunk -= chunk % 512
        yield _header(f"opt/app{index}/big{n}.bin", chunk)
        yield from _random(chunk, index * 100 + n)
        size -= 512 + chunk
        n += 1
    yield bytes(1024)


def _compressed(stream: Iterator[bytes], how: str) -> Iterator[bytes]:
    if how == "none":
        yield from stream
        return
    if how == "gzip":
        c = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        for b in stream:
            out = c.compress(b)
            if out:
                yield out
        yield c.flush()
        return
    import zstandard

    c = zstandard.ZstdCompressor(level=1).compressobj()
    for b in stream:
        out = c.compress(b)
        if out:
            yield out
    yield c.flush()


def _measure(make: Callable[[], Iterator[bytes]], how: str) -> tuple[int, str, str]:
    """Pass one over a layer: compressed size and digest, and the uncompressed diff_id."""
    blob_h, diff_h, n = hashlib.sha256(), hashlib.sha256(), 0

    def tee() -> Iterator[bytes]:
        for b in make():
            diff_h.update(b)
            yield b

    for b in _compressed(tee(), how):
        blob_h.update(b)
        n += len(b)
    return n, blob_h.hexdigest(), diff_h.hexdigest()


def build_archive(path: Path, size_mb: int, fmt: str, layers: int = 4) -> None:
    """A docker-save (or OCI layout) tar of ``size_mb`` MB in ``layers`` layers (50/25/15/10 %)."""
    how = {"docker": "none", "oci-gzip": "gzip", "oci-zstd": "zstd"}[fmt]
    shares = [0.5, 0.25, 0.15, 0.10][:layers]
    sizes = [max(4 * MiB, int(size_mb * MiB * s)) for s in shares]
    metas = [_measure(lambda i=i, s=s: _layer(i, s), how) for i, s in enumerate(sizes)]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Entrypoint": ["/opt/app0/serve"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{d}" for _, _, d in metas]},
        "history": [{"created_by": f"COPY app{i} /opt/app{i}"} for i in range(len(metas))],
    }).encode()
    cfg_hex = hashlib.sha256(config).hexdigest()
    with open(path, "wb") as out:
        def member(name: str, size: int, chunks: Iterator[bytes]) -> None:
            out.write(_header(name, size))
            written = 0
            for b in chunks:
                out.write(b)
                written += len(b)
            assert written == size, (name, written, size)
            out.write(bytes(-size % 512))

        names = []
        for i, (size, blob_hex, _) in enumerate(metas):
            name = f"blobs/sha256/{blob_hex}" if how != "none" else f"{blob_hex}/layer.tar"
            names.append(name)
            member(name, size, _compressed(_layer(i, sizes[i]), how))
        if how == "none":
            cfg_name = f"{cfg_hex}.json"
            member(cfg_name, len(config), iter([config]))
            manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["bench:latest"], "Layers": names}]).encode()
            member("manifest.json", len(manifest), iter([manifest]))  # last, as docker save may write it
        else:
            member(f"blobs/sha256/{cfg_hex}", len(config), iter([config]))
            mt = "application/vnd.oci.image.layer.v1.tar+" + how
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": f"sha256:{cfg_hex}", "size": len(config)},
                                   "layers": [{"mediaType": mt, "digest": f"sha256:{b}", "size": s}
                                              for s, b, _ in metas]}).encode()
            m_hex = hashlib.sha256(manifest).hexdigest()
            member(f"blobs/sha256/{m_hex}", len(manifest), iter([manifest]))
            index = json.dumps({"schemaVersion": 2, "manifests": [
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{m_hex}",
                 "size": len(manifest), "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
            member("index.json", len(index), iter([index]))
            member("oci-layout", 30, iter([b'{"imageLayoutVersion":"1.0.0"}']))
        out.write(bytes(1024))


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child_analyse(archive: Path) -> None:
    """In a fresh interpreter so the peak RSS is the analysis's own."""
    sys.path.insert(0, str(REPO))
    from validation.container import analyse_image, findings

    listing = {"kind": "model_package", "instance_types": {"realtime": ["ml.m5.large"]}, "endpoint": {}}
    findings(analyse_image(os.devnull, listing), listing)  # load lazily imported modules before measuring
    base = peak_rss_kib()  # the interpreter + product imports (botocore's service model among them)
    t0 = time.perf_counter()
    report = analyse_image(archive, listing)
    fs = findings(report, listing)
    secs = time.perf_counter() - t0
    failed = sorted({f.code for f in fs if f.outcome == "failed"})
    print(json.dumps({"secs": secs, "rss_kib": peak_rss_kib(), "base_kib": base, "complete": report.complete,
                      "layers": len(report.layers), "problems": [p.message for p in report.problems][:5],
                      "failed": failed, "wasted": report.wasted_bytes, "files": report.files_final}))


def run(argv: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    secs = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{argv} failed: {proc.stderr[-2000:]}")
    return secs, proc.stdout


def warm(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(8 * MiB):
            pass


def bench(archive: Path, repeat: int) -> dict[str, Any]:
    size = archive.stat().st_size
    warm(archive)
    sha, ana, rss, info = [], [], [], {}  # type: ignore[var-annotated]
    for _ in range(repeat):  # interleaved, so both see the same cache state
        sha.append(run([SHA256SUM, str(archive)])[0])
        _, out = run([sys.executable, __file__, "--child", str(archive)])
        info = json.loads(out)
        ana.append(float(info["secs"]))
        rss.append(int(info["rss_kib"]))
    children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB; upper bound, see docstring
    s, a = statistics.median(sha), statistics.median(ana)
    return {"size_mb": size / MiB, "sha_mbps": size / MiB / s, "ana_mbps": size / MiB / a, "ratio": s / a,
            "rss_mb": max(rss) / 1024, "base_mb": int(info["base_kib"]) / 1024,
            "children_maxrss_mb": children_max / 1024, "info": info}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=2048, help="largest archive; a quarter of it runs too")
    ap.add_argument("--format", choices=["docker", "oci-gzip", "oci-zstd"], default="docker")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="64 MB and 256 MB, one repeat")
    ap.add_argument("--archive", type=Path, help="benchmark this archive instead of building one")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where to build archives (needs the size free)")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_analyse(args.child)
        return
    if args.quick:
        args.size_mb, args.repeat = 256, 1
    rows = []
    if args.archive:
        rows.append(bench(args.archive, args.repeat))
    else:
        free = shutil.disk_usage(args.dir).free / MiB
        if free < args.size_mb * 1.3:
            raise SystemExit(f"{args.dir} has {free:.0f} MB free; need about {args.size_mb * 1.3:.0f} MB")
        with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_image_") as tmp:
            for size in (max(16, args.size_mb // 4), args.size_mb):
                path = Path(tmp) / f"image{size}.tar"
                t0 = time.perf_counter()
                build_archive(path, size, args.format)
                print(f"built {path.name} ({path.stat().st_size / MiB:.0f} MB, {args.format}) "
                      f"in {time.perf_counter() - t0:.1f}s", flush=True)
                rows.append(bench(path, args.repeat))
                path.unlink()
    print(f"{'size MB':>8} {'sha256sum MB/s':>15} {'analysis MB/s':>14} {'ratio':>7} {'peak RSS MB':>12} "
          f"{'after imports MB':>17}")
    for r in rows:
        print(f"{r['size_mb']:>8.0f} {r['sha_mbps']:>15.0f} {r['ana_mbps']:>14.0f} {r['ratio']:>6.2f}x "
              f"{r['rss_mb']:>12.1f} {r['base_mb']:>17.1f}")
    last = rows[-1]["info"]
    print(f"analysis: complete={last['complete']} layers={last['layers']} files={last['files']} "
          f"wasted={last['wasted'] / MiB:.0f} MB failed={last['failed']} problems={last['problems']}")
    worst = min(r["ratio"] for r in rows)
    print(f"throughput ratio (worst): {worst:.2f}x [target >= 0.70x]; peak RSS "
          + " -> ".join(f"{r['rss_mb']:.1f}" for r in rows) + " MB [target < 200 MB, flat]; "
          f"RUSAGE_CHILDREN max {rows[-1]['children_maxrss_mb']:.1f} MB (includes pre-exec parent pages)")


if __name__ == "__main__":
    main()
