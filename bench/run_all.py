"""Every benchmark, one table (issue 9: "`make bench` prints one table with every figure and ratio").

Runs, each as a child process whose output is shown as it goes (prefixed with its name):

    image       bench_image.py       image static analysis vs sha256sum; peak RSS
    export      bench_export.py      bundle export vs zip -0; peak RSS flat in bundle size
    pages       bench_pages.py       gunicorn + wrk, 20 clients, 10,000 listings / 200,000 findings; p95
    validation  bench_validation.py  issue 4 click -> screen and time per stage; runs/min at 1 and 2 processes

then prints one table: every figure with its target, what was measured, the ratio against the baseline measured
in the same run (sha256sum, zip -0, /healthz, sha256sum), and PASS / MISS by target ("-" where the figure is
reported without a target). Exit status 1 only when a benchmark itself failed (``--strict``: also on a MISS).

    python bench/run_all.py                      # default sizes: about 12-15 min on 2 cores
    python bench/run_all.py --quick              # small sizes: about 5 min
    python bench/run_all.py --only pages,validation
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import BENCH_DIR, PYTHON, REPO, ensure_tools  # noqa: E402

BENCHES = {
    "image": ("bench_image.py", [], ["--quick"]),
    "export": ("bench_export.py", [], ["--quick"]),
    "pages": ("bench_pages.py", [], ["--quick"]),
    "validation": ("bench_validation.py", [], ["--quick"]),
}


def run_bench(name: str, script: str, argv: list[str]) -> tuple[int, str, float, list[dict] | None]:
    """Runs one bench, echoing its output; returns (exit code, stdout, seconds, JSON rows if it wrote any)."""
    path = BENCH_DIR / script
    rows_file = None
    if "--json" in path.read_text():  # the bench writes machine-readable rows (bench/_common.emit_results)
        rows_file = Path(tempfile.mkstemp(prefix=f"bench_{name}_", suffix=".json")[1])
        argv = [*argv, "--json", str(rows_file)]
    print(f"== {name}: {script} {' '.join(argv)}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([PYTHON, str(path), *argv], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    out = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        print(f"  [{name}] {line}", end="", flush=True)
    code = proc.wait()
    secs = time.perf_counter() - t0
    rows = None
    if rows_file is not None:
        try:
            text = rows_file.read_text()
            rows = json.loads(text) if text.strip() else None
        finally:
            rows_file.unlink(missing_ok=True)
    return code, "".join(out), secs, rows


_IMAGE_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)x\s+([\d.]+)\s+([\d.]+)\s*$", re.M)


def image_rows(stdout: str) -> list[dict]:
    """bench_image.py prints a table; its rows become figures (ratio vs sha256sum, peak RSS)."""
    rows = []
    found = _IMAGE_ROW.findall(stdout)
    for size, sha, ana, ratio, rss, _base in found:
        rows.append({"bench": "image", "name": f"image analysis {size} MB vs sha256sum", "measured": float(ana),
                     "unit": "MB/s", "target": ">= 0.7x sha256sum", "pass": float(ratio) >= 0.7,
                     "ratio": float(ratio), "ratio_of": "x sha256sum", "extra": f"sha256sum {sha} MB/s"})
    if found:
        rss = [float(r[4]) for r in found]
        rows.append({"bench": "image", "name": "image analysis peak RSS", "measured": max(rss), "unit": "MB",
                     "target": "< 200 MB, flat", "pass": max(rss) < 200 and rss[-1] - rss[0] < 32,
                     "extra": " -> ".join(f"{r:.0f}" for r in rss) + f" MB for {found[0][0]} -> {found[-1][0]} MB"})
    return rows


_GENERIC_RATIO = re.compile(r"ratio \(worst\):\s*([\d.]+)x\s*\[target >= ([\d.]+)x\]")


def text_rows(name: str, stdout: str) -> list[dict]:
    """Fallback for a bench without --json: its "ratio (worst)" line."""
    m = _GENERIC_RATIO.search(stdout)
    if not m:
        return [{"bench": name, "name": f"{name}: no figure found in its output", "measured": None, "unit": "",
                 "target": "", "pass": False}]
    ratio, target = float(m.group(1)), float(m.group(2))
    return [{"bench": name, "name": f"{name} throughput ratio (worst)", "measured": ratio, "unit": "x",
             "target": f">= {target}x", "pass": ratio >= target, "ratio": ratio, "ratio_of": "x baseline"}]


def fmt(value, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("ms", "MB/s", "runs/min", "MB") and abs(value) >= 10:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}".strip()


def print_table(rows: list[dict], timings: dict[str, float], failures: dict[str, int], started: float) -> None:
    print()
    print(f"marketplace_prep benchmarks — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} CPUs, "
          f"load average now {os.getloadavg()[0]:.1f} — total {time.perf_counter() - started:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})")
    headers = ("bench", "figure", "measured", "target", "ratio vs baseline", "result")
    table = []
    for r in rows:
        ratio = f"{r['ratio']:.2f}{r.get('ratio_of', '')}" if r.get("ratio") is not None else ""
        result = "-" if r.get("pass") is None else ("PASS" if r["pass"] else "MISS")
        table.append((r["bench"], r["name"], fmt(r.get("measured"), r.get("unit", "")), r.get("target", ""), ratio,
                      result))
    for name, code in failures.items():
        table.append((name, f"{name} benchmark failed (exit {code}); see its output above", "-", "", "", "ERROR"))
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*headers))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print(line.format(*row))
    notes = [r for r in rows if r.get("extra")]
    if notes:
        print()
        for r in notes:
            print(f"  {r['name'].strip()}: {r['extra']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHES)}")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    args = ap.parse_args()
    ensure_tools("wrk", "zip")
    names = args.only.split(",") if args.only else list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    rows: list[dict] = []
    timings: dict[str, float] = {}
    failures: dict[str, int] = {}
    for name in names:
        script, default_args, quick_args = BENCHES[name]
        code, stdout, secs, json_rows = run_bench(name, script, quick_args if args.quick else default_args)
        timings[name] = secs
        if code != 0:
            failures[name] = code
            continue
        if json_rows is not None:
            rows += json_rows
        elif name == "image":
            rows += image_rows(stdout)
        else:
            rows += text_rows(name, stdout)
    print_table(rows, timings, failures, started)
    missed = any(r.get("pass") is False for r in rows)
    sys.exit(1 if failures or (args.strict and missed) else 0)


if __name__ == "__main__":
    main()
