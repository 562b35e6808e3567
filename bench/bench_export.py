"""Benchmark: the real bundle export vs `zip -0` over the same files (DESIGN.md "Non-functional targets").

Target: export throughput >= 0.7x `zip -0 -q -r` over the same artifacts, peak RSS flat in bundle size.

Three writers over the same incompressible files (a few large artifacts and many small ones, 1 GiB by default,
and a quarter of that to show that memory does not grow):

* ``zip -0``: Info-ZIP, stored entries, timed from spawn to exit; peak RSS from GNU time's %M.
* ``BundleWriter``: the deterministic streaming zip alone (the files as they are, sha256 of every entry).
* ``export``: the product's own ``plan_bundle`` + ``write_bundle`` (``listings/export/service.py``) on an
  approved version whose artifacts are those files, stored in the artifact storage: both AWS requests
  built and validated with botocore, the generated documents (README, notebook, reports, manifest), every
  artifact streamed from storage and checked against its sha256. This is what a bundle costs in the worker,
  except storing the finished zip.

Writers run as child processes on warm page cache and write to the same filesystem; each times only its
work (not interpreter start-up or Django set-up — in the product both live in a long-running worker). Peak
RSS is the child's VmHWM. Runs are interleaved so every writer sees the same cache state; medians are shown.
The export's bytes are checked after timing: the zip reads back, every manifest entry matches, and repeated
exports are byte-identical.

Uses its own database (``marketplace_prep_bench_export``), Redis database 12 and a temporary ``VAR_DIR``.

    python bench/bench_export.py                 # 256 MB and 1 GiB, 3 repeats
    python bench/bench_export.py --size-mb 4096  # 1 GiB and 4 GiB
    python bench/bench_export.py --quick         # 32 MB and 128 MB, one repeat
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (PYTHON, REPO, bench_db_url, bench_env, bench_var_dir, emit_results,  # noqa: E402
                           ensure_database, migrate, refuse_non_bench, setup_django)

ZIP = shutil.which("zip") or "/usr/bin/zip"
TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
MiB = 1 << 20
TARGET_RATIO = 0.7
DB_SUFFIX = "_export"


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
            left, pos = max(size, 1), (i * 7919) % len(block)
            while left:
                piece = block[pos: pos + min(left, MiB)]
                fh.write(piece)
                left -= len(piece)
                pos = (pos + len(piece)) % len(block)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run_child(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, str, str]:
    """Wall seconds, stdout and stderr of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return elapsed, proc.stdout, proc.stderr


def peak_rss_kib() -> int:
    # VmHWM of this process only. (ru_maxrss from wait4 is not usable: with fork/vfork+exec it also
    # counts the parent's pages from before the exec, so every child looked as big as the parent.)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------------------------------------ children


def child_writer(src: Path, out: Path) -> None:
    """The zip layer alone: every file of ``src`` through BundleWriter."""
    from listings.export.zipstream import BundleWriter

    t0 = time.perf_counter()
    names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    with open(out, "wb") as fh, BundleWriter(fh) as writer:
        for name in names:
            writer.add_file(name, src / name)
    secs = time.perf_counter() - t0
    print(json.dumps({"secs": secs, "rss_kib": peak_rss_kib()}))


def child_seed(src: Path) -> None:
    """An approved model-package version whose artifacts are the files of ``src`` (hard-linked into the
    artifact storage, so the bytes exist once on disk); prints its id."""
    setup_django(bench_db_url(DB_SUFFIX), bench_var_dir("export"))
    from django.utils import timezone

    from listings.models import Artifact, Listing, ListingVersion, Team, VersionStatus
    from listings.snapshot import content_hash
    from listings.storage import key_for_digest, sha256_of
    from django.conf import settings

    snapshot = json.loads((REPO / "tests" / "fixtures" / "listings" / "model_package.json").read_text())
    team = Team.objects.create(name=f"bench export {time.time_ns()}")
    listing = Listing.objects.create(team=team, kind="model_package", title=snapshot["product"]["title"])
    files = sorted((p for p in src.rglob("*") if p.is_file()), key=lambda p: -p.stat().st_size)
    artifacts = []
    for i, path in enumerate(files):
        with open(path, "rb") as fh:
            digest, size = sha256_of(fh)
        target = Path(settings.ARTIFACT_ROOT) / key_for_digest(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
        kind = "model_data" if i == 0 else "documentation"
        Artifact.objects.create(listing=listing, kind=kind, sha256=digest, size=size, original_name=path.name)
        artifacts.append({"kind": kind, "name": path.name, "sha256": digest, "size": size, "content_type": "",
                          "tags": {}})
    snapshot["id"] = str(listing.id)
    snapshot["artifacts"] = sorted(artifacts, key=lambda a: (a["kind"], a["name"], a["sha256"]))
    version = ListingVersion.objects.create(
        listing=listing, number=1, snapshot=snapshot, content_hash=content_hash(snapshot),
        status=VersionStatus.APPROVED, decided_at=timezone.now())
    print(json.dumps({"version": str(version.id)}))


def child_export(version_id: str, out: Path) -> None:
    """The product's export of that version: plan (requests validated, documents generated) and write."""
    setup_django(bench_db_url(DB_SUFFIX), bench_var_dir("export"))
    from listings.export.service import plan_bundle, write_bundle
    from listings.models import ListingVersion

    version = ListingVersion.objects.select_related("listing").get(pk=version_id)
    plan_bundle(version)  # a worker has botocore's service models loaded after its first export: warm them
    t0 = time.perf_counter()
    plan = plan_bundle(version)
    planned = time.perf_counter()
    with open(out, "wb") as fh:
        sha256, size = write_bundle(plan, fh)
    secs = time.perf_counter() - t0
    print(json.dumps({"secs": secs, "plan_secs": planned - t0, "rss_kib": peak_rss_kib(), "sha256": sha256,
                      "size": size,
                      "manifest": {f.arcname: f.sha256 for f in plan.files if f.arcname != "manifest.json"}}))


# ----------------------------------------------------------------------------------------------------- parent


def bench_size(size_mb: int, n_files: int, repeat: int, workdir: Path, env: dict) -> list[dict[str, Any]]:
    src = workdir / f"src{size_mb}"
    src.mkdir()
    nbytes = make_files(src, size_mb, n_files)
    _, out, _ = run_child([PYTHON, __file__, "--child-seed", str(src)], env=env)
    version_id = json.loads(out.strip().splitlines()[-1])["version"]
    out_zip, out_bw, out_export = workdir / "zip0.zip", workdir / "bundle.zip", workdir / "export.zip"
    runs: dict[str, list[tuple[float, int]]] = {"zip -0": [], "BundleWriter": [], "export": []}
    exports: list[dict[str, Any]] = []
    for _ in range(repeat):
        for tool, samples in runs.items():  # interleave so every writer sees the same cache/disk state
            for p in (out_zip, out_bw, out_export):
                p.unlink(missing_ok=True)
            if tool == "zip -0":
                argv = [ZIP, "-0", "-q", "-r", str(out_zip), "."]
                if TIME:  # GNU time reports zip's own max RSS (KiB) on stderr
                    argv = [TIME, "-f", "%M", *argv]
                secs, _, err = run_child(argv, cwd=src)
                rss = int(err.split()[-1]) if TIME else 0
            elif tool == "BundleWriter":
                _, out, _ = run_child([PYTHON, __file__, "--child-writer", str(src), str(out_bw)], env=env)
                result = json.loads(out)
                secs, rss = float(result["secs"]), int(result["rss_kib"])
            else:
                _, out, _ = run_child([PYTHON, __file__, "--child-export", version_id, str(out_export)], env=env)
                result = json.loads(out.strip().splitlines()[-1])
                secs, rss = float(result["secs"]), int(result["rss_kib"])
                exports.append(result)
                with open(out_export, "rb") as fh:  # correctness, not timed
                    assert hashlib.file_digest(fh, "sha256").hexdigest() == result["sha256"]
                with zipfile.ZipFile(out_export) as zf:
                    assert zf.testzip() is None
                    manifest = json.loads(zf.read("manifest.json"))
                    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
                    assert listed == result["manifest"] and set(zf.namelist()) - {"manifest.json"} == set(listed)
            samples.append((secs, rss))
    reproducible = len({e["sha256"] for e in exports}) == 1
    plan_ms = statistics.median(e["plan_secs"] for e in exports) * 1000
    rows: list[dict[str, Any]] = []
    base = None
    for tool, samples in runs.items():
        secs = statistics.median(s for s, _ in samples)
        mbps = nbytes / MiB / secs
        base = base or mbps
        rows.append({"size_mb": size_mb, "tool": tool, "secs": secs, "mbps": mbps,
                     "rss_mb": max(r for _, r in samples) / 1024, "ratio": mbps / base,
                     "reproducible": reproducible if tool == "export" else None,
                     "plan_ms": plan_ms if tool == "export" else None,
                     "bundle_bytes": exports[-1]["size"] if tool == "export" else None})
    shutil.rmtree(src)
    for p in (out_zip, out_bw, out_export):
        p.unlink(missing_ok=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024, help="largest bundle; also runs a quarter of it")
    ap.add_argument("--files", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="32 MB and 128 MB, one repeat")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where to put the files (needs 3x size free)")
    ap.add_argument("--json", help="write the result rows here (for run_all.py)")
    ap.add_argument("--child-writer", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--child-seed", metavar="SRC", help=argparse.SUPPRESS)
    ap.add_argument("--child-export", nargs=2, metavar=("VERSION", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_writer:
        return child_writer(Path(args.child_writer[0]), Path(args.child_writer[1]))
    if args.child_seed:
        return child_seed(Path(args.child_seed))
    if args.child_export:
        return child_export(args.child_export[0], Path(args.child_export[1]))

    if args.quick:
        args.size_mb, args.repeat = 128, 1
    db_url = bench_db_url(DB_SUFFIX)
    refuse_non_bench(db_url)
    var_dir = bench_var_dir("export")
    ensure_database(db_url)
    migrate(db_url, var_dir)
    env = bench_env(db_url, var_dir)
    sizes = [max(1, args.size_mb // 4), args.size_mb]
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_export_") as tmp:
            for size in sizes:
                rows += bench_size(size, args.files, args.repeat, Path(tmp), env)
    finally:
        shutil.rmtree(var_dir / "artifacts", ignore_errors=True)  # hard links to the deleted sources
    print(f"output: {args.dir}; {args.files} files per bundle; median of {args.repeat}")
    print(f"{'size MB':>8} {'writer':<13} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} {'vs zip -0':>10}")
    for r in rows:
        ratio = "" if r["tool"] == "zip -0" else f"{r['ratio']:.2f}x"
        note = f"  (plan {r['plan_ms']:.0f} ms)" if r["plan_ms"] is not None else ""
        print(f"{r['size_mb']:>8} {r['tool']:<13} {r['secs']:>8.2f} {r['mbps']:>8.0f} {r['rss_mb']:>12.1f} {ratio:>10}"
              f"{note}")
    export_rows = [r for r in rows if r["tool"] == "export"]
    worst = min(r["ratio"] for r in export_rows)
    rss = [r["rss_mb"] for r in export_rows]
    print(f"export throughput ratio (worst): {worst:.2f}x  [target >= {TARGET_RATIO:.2f}x]  "
          f"export peak RSS {rss[0]:.1f} MB -> {rss[-1]:.1f} MB for {sizes[0]} -> {sizes[-1]} MB  "
          f"byte-identical reruns: {'yes' if all(r['reproducible'] for r in export_rows) else 'NO'}")
    emit_results([
        {"bench": "export", "name": f"export {r['size_mb']} MB vs zip -0", "measured": r["mbps"], "unit": "MB/s",
         "target": f">= {TARGET_RATIO}x zip -0", "pass": r["ratio"] >= TARGET_RATIO, "ratio": r["ratio"],
         "ratio_of": "x zip -0", "extra": f"peak RSS {r['rss_mb']:.0f} MB; reproducible {r['reproducible']}"}
        for r in export_rows
    ] + [{"bench": "export", "name": "export peak RSS growth", "measured": rss[-1] - rss[0], "unit": "MB",
          "target": "flat", "pass": rss[-1] - rss[0] < 32,
          "extra": f"{rss[0]:.0f} -> {rss[-1]:.0f} MB for {sizes[0]} -> {sizes[-1]} MB"}], args.json)


if __name__ == "__main__":
    main()
