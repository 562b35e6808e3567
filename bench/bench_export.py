"""Benchmark: BundleWriter vs `zip -0` over the same files (DESIGN.md "Non-functional targets").

Target: BundleWriter throughput >= 0.7x `zip -0 -q -r`, and peak RSS flat in bundle size. BundleWriter
also computes every entry's sha256 (the manifest needs it), which zip does not — it is included in the time.

Both tools run as child processes on warm page cache, writing to the same filesystem. zip is timed from
spawn to exit; BundleWriter times itself inside its child (listing + writing + closing, not interpreter
start-up). Peak RSS is VmHWM of the writer's child, and GNU time's %M for zip (0 if /usr/bin/time is absent).

    python bench/bench_export.py                 # 256 MB and 1 GiB
    python bench/bench_export.py --size-mb 4096  # 1 GiB and 4 GiB
    python bench/bench_export.py --quick         # 32 MB and 128 MB, one repeat
    python bench/bench_export.py --devnull       # both write to /dev/null: compute, not disk
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ZIP = shutil.which("zip") or "/usr/bin/zip"
TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
MiB = 1 << 20


def make_files(root: Path, total_mb: int, n_files: int) -> int:
    """n_files of uneven sizes (a few big artifacts, many small ones) summing to total_mb, incompressible."""
    rng = random.Random(0)
    weights = [rng.paretovariate(1.2) for _ in range(n_files)]
    total = total_mb * MiB
    sizes = [int(total * w / sum(weights)) for w in weights]
    sizes[0] += total - sum(sizes)
    block = os.urandom(8 * MiB)  # rotate through one random block: incompressible, cheap to produce
    for i, size in enumerate(sizes):
        path = root / f"d{i % 4}" / f"file{i:04d}.bin"
        path.parent.mkdir(exist_ok=True)
        with open(path, "wb") as fh:
            left, pos = size, (i * 7919) % len(block)
            while left:
                piece = block[pos : pos + min(left, MiB)]
                fh.write(piece)
                left -= len(piece)
                pos = (pos + len(piece)) % len(block)
    return sum(sizes)


def run_child(argv: list[str], cwd: Path | None = None) -> tuple[float, str, str]:
    """Wall seconds, stdout and stderr of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, proc.stdout, proc.stderr


def peak_rss_kib() -> int:
    # VmHWM of this process only. (ru_maxrss from wait4 is not usable: with fork/vfork+exec it also
    # counts the parent's pages from before the exec, so every child looked as big as the parent.)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child_write(src: Path, out: Path) -> None:
    """Runs in a fresh interpreter so its peak RSS is its own. Times only the export itself (in the product
    the writer runs inside a long-lived worker, so interpreter start-up is not part of an export)."""
    sys.path.insert(0, str(REPO))
    from listings.export.zipstream import BundleWriter

    t0 = time.perf_counter()
    names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    with open(out, "wb") as fh, BundleWriter(fh) as writer:
        for name in names:
            writer.add_file(name, src / name)
    secs = time.perf_counter() - t0
    manifest = {e.name: e.sha256 for e in writer.entries}  # what the product puts in manifest.json
    print(json.dumps({"secs": secs, "rss_kib": peak_rss_kib(), "sha256": manifest}))


def bench_size(size_mb: int, n_files: int, repeat: int, workdir: Path, devnull: bool) -> list[dict[str, Any]]:
    src = workdir / f"src{size_mb}"
    src.mkdir()
    nbytes = make_files(src, size_mb, n_files)
    out_zip, out_bw = workdir / "zip0.zip", workdir / "bundle.zip"
    if devnull:  # CPU-bound comparison: no disk writes (zip streams to stdout with data descriptors too)
        out_bw = Path(os.devnull)
    runs: dict[str, list[tuple[float, int]]] = {"zip -0": [], "BundleWriter": []}
    manifest: dict[str, str] = {}
    for _ in range(repeat):
        for tool, samples in runs.items():  # interleave so both see the same cache/disk state
            if not devnull:
                for p in (out_zip, out_bw):
                    p.unlink(missing_ok=True)
            if tool == "zip -0":
                argv = [ZIP, "-0", "-q", "-r", str(out_zip), "."]
                if devnull:
                    argv = ["sh", "-c", f"exec {ZIP} -0 -q -r - . > {os.devnull}"]
                if TIME:  # GNU time reports zip's own max RSS (KiB) on stderr
                    argv = [TIME, "-f", "%M", *argv]
                secs, _, err = run_child(argv, cwd=src)
                rss = int(err.split()[-1]) if TIME else 0
            else:
                _, out, _ = run_child([sys.executable, __file__, "--child", str(src), str(out_bw)])
                result = json.loads(out)
                secs, rss, manifest = float(result["secs"]), int(result["rss_kib"]), result["sha256"]
            samples.append((secs, rss))
    # Correctness, not timed: the sha256s the writer reported are the files', and every CRC checks out.
    for name, digest in manifest.items():
        with open(src / name, "rb") as fh:
            assert hashlib.file_digest(fh, "sha256").hexdigest() == digest, name
    assert len(manifest) == n_files
    if not devnull:
        with zipfile.ZipFile(out_bw) as zf:
            assert zf.testzip() is None and zf.namelist() == sorted(manifest)
    rows: list[dict[str, Any]] = []
    for tool, samples in runs.items():
        secs = statistics.median(s for s, _ in samples)
        rss_mb = max(r for _, r in samples) / 1024
        rows.append({"size_mb": size_mb, "tool": tool, "secs": secs, "mbps": nbytes / MiB / secs, "rss_mb": rss_mb})
    rows[1]["ratio"] = rows[1]["mbps"] / rows[0]["mbps"]
    shutil.rmtree(src)
    if not devnull:
        for p in (out_zip, out_bw):
            p.unlink(missing_ok=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024, help="largest bundle; also runs a quarter of it")
    ap.add_argument("--files", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="32 MB and 128 MB, one repeat")
    ap.add_argument("--devnull", action="store_true", help="both write to /dev/null: CPU-bound comparison")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where to put the files (needs 2x size)")
    ap.add_argument("--child", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_write(Path(args.child[0]), Path(args.child[1]))
        return
    if args.quick:
        args.size_mb, args.repeat = 128, 1
    sizes = [max(1, args.size_mb // 4), args.size_mb]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_export_") as tmp:
        for size in sizes:
            rows += bench_size(size, args.files, args.repeat, Path(tmp), args.devnull)
    print(f"output: {'/dev/null' if args.devnull else args.dir}")
    print(f"{'size MB':>8} {'tool':<13} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} {'vs zip -0':>10}")
    for r in rows:
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
        print(f"{r['size_mb']:>8} {r['tool']:<13} {r['secs']:>8.2f} {r['mbps']:>8.0f} {r['rss_mb']:>12.1f} {ratio:>10}")
    worst = min(r["ratio"] for r in rows if "ratio" in r)
    rss = [r["rss_mb"] for r in rows if r["tool"] == "BundleWriter"]
    print(f"throughput ratio (worst): {worst:.2f}x  [target >= 0.70x]  "
          f"BundleWriter peak RSS {rss[0]:.1f} MB -> {rss[-1]:.1f} MB for {sizes[0]} -> {sizes[-1]} MB")


if __name__ == "__main__":
    main()
