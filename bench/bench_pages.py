"""Benchmark: pages under load (DESIGN.md "Non-functional targets"; issue 9 "Load and performance").

gunicorn serves the app on loopback (production settings: DEBUG=false, sync workers) over the bench
database seeded by ``seed_load.py`` (10,000 listings, 200,000 findings). ``wrk`` keeps 20 connections busy
(closed loop, no think time) on each page for 15 s, with the session cookie of the right persona:

    listing list      bench-seller   /listings/                 ~200 listings of team 00 (50 a page: the first)
    listing page      bench-seller   /listings/<id>/            an approved listing: versions, bundle, runs
    review queue      bench-reviewer /review/                   1,447 submitted versions (50 a page: the first)
    dashboard         bench-admin    /dashboard/                every aggregate over the whole database (cached 60 s)

Target: p95 < 150 ms for each. The baseline, measured first in the same run under the same load, is
``/healthz`` — the cheapest Django response (the full middleware stack, no template, no query): ratios say
how many times the floor a page costs (p95 and requests/s). For each page the table also shows what one
request costs alone (median of 20 in this process through Django's test client: queries and ms), which is
what to look at when a page misses: under a closed loop, p95 ≈ concurrency × service time / cores.

    python bench/bench_pages.py                      # seeds when needed, 15 s per page
    python bench/bench_pages.py --quick              # 1,000 listings / 20,000 findings, 5 s per page
    python bench/bench_pages.py --workers 4 --connections 20 --duration 30
    python bench/bench_pages.py --explain            # also prints EXPLAIN ANALYZE of each page's slowest query
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (BENCH_DIR, PYTHON, REPO, bench_db_url, bench_env, bench_var_dir,  # noqa: E402
                           emit_results, ensure_tools, free_port, private_redis)

TARGET_P95_MS = 150.0
LUA = BENCH_DIR / "wrk_report.lua"


def start_gunicorn(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "marketplace_prep.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--timeout", "60", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if fetch(f"http://127.0.0.1:{port}/healthz", None)[0] == 200:
                return proc
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _children(ppid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _db_backends() -> list[int]:
    """PostgreSQL backends serving the bench database (gunicorn's persistent connections), not this one."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'")
        return [r[0] for r in cur.fetchall()]


class CpuMeter:
    """CPU seconds spent by gunicorn's workers and by their PostgreSQL backends between start() and stop():
    the cost of a request whatever else the machine is doing (wall-clock latency is not)."""

    def __init__(self, master_pid: int):
        self.master = master_pid

    def _sample(self) -> dict[str, dict[int, float]]:
        return {"app": {p: _cpu_seconds(p) for p in _children(self.master)},
                "db": {p: _cpu_seconds(p) for p in _db_backends()}}

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        return {k: sum(v - self.before[k].get(p, 0.0) for p, v in after[k].items()) for k in after}


HEADERS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy in front of gunicorn sends it


def fetch(url: str, cookie: str | None) -> tuple[int, int]:
    headers = dict(HEADERS)
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, len(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, 0


def run_wrk(url: str, cookie: str | None, *, connections: int, threads: int, duration: int) -> dict:
    argv = ["wrk", "-c", str(connections), "-t", str(threads), "-d", f"{duration}s", "--latency", "--timeout", "10s",
            "-s", str(LUA)]
    for k, v in HEADERS.items():
        argv += ["-H", f"{k}: {v}"]
    if cookie:
        argv += ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^WRK_JSON (.*)$", out, re.M)
    if not m:
        raise SystemExit(f"wrk printed no report:\n{out}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    for k in ("p50", "p90", "p95", "p99", "max", "mean"):
        r[k + "_ms"] = r[k] / 1000.0
    return r


def single_request_costs(pages: list[dict], repeat: int = 20) -> None:
    """Queries and milliseconds of one request alone, in this process (Django test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        client = Client(HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
        client.cookies["sessionid"] = page["cookie"] if page["cookie"] else ""
        if client.get(page["path"]).status_code != 200:
            page.update(single_ms=float("nan"), queries=-1, sql_ms=0.0, slowest_sql="", slowest_ms=0.0)
            continue
        times, queries, slowest = [], 0, ("", 0.0)
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(page["path"])
                times.append(time.perf_counter() - t0)
            queries = len(ctx.captured_queries)
            sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
            top = max(ctx.captured_queries, key=lambda q: float(q["time"]), default=None)
            if top is not None:
                slowest = (top["sql"], float(top["time"]) * 1000)
        page.update(single_ms=statistics.median(times) * 1000, queries=queries, sql_ms=sql_ms,
                    slowest_sql=slowest[0], slowest_ms=slowest[1])


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(r[0] for r in cur.fetchall())


def prepare(seed_sizes: tuple[int, int, int], reseed: bool) -> list[dict]:
    """Seeds (when needed) and returns the pages with their personas' session cookies."""
    from bench.seed_load import ensure_seeded

    ensure_seeded(*seed_sizes, reseed=reseed, log=lambda m: print(m, file=sys.stderr))
    from django.contrib.auth import get_user_model
    from django.test import Client

    from listings.models import Listing

    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="bench-")}

    def cookie(username: str) -> str:
        client = Client()
        client.force_login(users[username])  # a real session row, signed with the bench SECRET_KEY
        return client.cookies["sessionid"].value

    listing = (Listing.objects.filter(team__name="bench-team-00", status="approved")
               .order_by("-updated_at").first())
    seller = cookie("bench-seller")
    return [
        {"name": "/healthz (baseline)", "path": "/healthz", "cookie": None, "baseline": True},
        {"name": "listing list", "path": "/listings/", "cookie": seller},
        {"name": "listing page", "path": f"/listings/{listing.id}/", "cookie": seller},
        {"name": "review queue", "path": "/review/", "cookie": cookie("bench-reviewer")},
        {"name": "dashboard", "path": "/dashboard/", "cookie": cookie("bench-admin")},
    ]


def main() -> None:
    with private_redis():
        _main()


def _main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2: one per core here)")
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=15, help="seconds of load per page")
    ap.add_argument("--quick", action="store_true", help="1,000 listings / 20,000 findings, 5 s per page")
    ap.add_argument("--reseed", action="store_true")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query")
    ap.add_argument("--json", help="write the result rows here (for run_all.py)")
    args = ap.parse_args()
    ensure_tools("wrk")
    sizes = (1_000, 50, 20_000) if args.quick else (10_000, 50, 200_000)
    if args.quick:
        args.duration = min(args.duration, 5)
    var_dir = bench_var_dir("pages")
    os.environ.update(DEBUG="false", ALLOWED_HOSTS="127.0.0.1,localhost,testserver")
    pages = prepare(sizes, args.reseed)
    single_request_costs(pages)

    env = bench_env(bench_db_url(), var_dir, DEBUG="false", ALLOWED_HOSTS="127.0.0.1,localhost")
    port = free_port()
    proc = start_gunicorn(env, port, args.workers, var_dir / "gunicorn.log")
    try:
        for page in pages:
            url = f"http://127.0.0.1:{port}{page['path']}"
            status, size = fetch(url, page["cookie"])
            if status != 200:
                page["error"] = f"answered {status}"
                print(f"  {page['name']}: {url} answered {status} (see {var_dir}/gunicorn.log)", file=sys.stderr)
                continue
            page["bytes"] = size
            run_wrk(url, page["cookie"], connections=args.connections, threads=args.threads, duration=2)  # warm
            meter = CpuMeter(proc.pid)
            meter.start()
            load_before = os.getloadavg()[0]
            page["wrk"] = run_wrk(url, page["cookie"], connections=args.connections, threads=args.threads,
                                  duration=args.duration)
            cpu = meter.stop()
            n = max(page["wrk"]["requests"], 1)
            page["app_cpu_ms"], page["db_cpu_ms"] = cpu["app"] * 1000 / n, cpu["db"] * 1000 / n
            page["load"] = max(load_before, os.getloadavg()[0])
            print(f"  {page['name']}: p95 {page['wrk']['p95_ms']:.1f} ms, {page['wrk']['rps']:.0f} req/s, "
                  f"CPU {page['app_cpu_ms']:.1f} + {page['db_cpu_ms']:.1f} ms/request, load {page['load']:.1f}",
                  file=sys.stderr)
    finally:
        stop(proc)

    base = pages[0]["wrk"]
    cores = os.cpu_count() or 1
    print(f"gunicorn --workers {args.workers} (sync) on 127.0.0.1, wrk -c {args.connections} -t {args.threads} "
          f"-d {args.duration}s; {sizes[0]:,} listings, {sizes[2]:,} findings; {cores} CPUs shared by wrk, gunicorn "
          f"and PostgreSQL; load average during the runs {min(p.get('load', 0) for p in pages if 'wrk' in p):.1f}"
          f"-{max(p.get('load', 0) for p in pages if 'wrk' in p):.1f}")
    print(f"{'page':<20} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6} {'err':>4} {'p95/base':>9} "
          f"{'rps/base':>9} {'CPU ms/req':>11} {'alone ms':>9} {'queries':>7} {'KB':>4}  p95 < {TARGET_P95_MS:.0f} ms")
    rows = []
    for page in pages:
        if "wrk" not in page:
            print(f"{page['name']:<20} ERROR: {page.get('error', 'not measured')}")
            rows.append({"bench": "pages", "name": f"{page['name']} p95 (20 clients)", "measured": None, "unit": "ms",
                         "target": f"< {TARGET_P95_MS:.0f} ms", "pass": False, "extra": page.get("error", "")})
            continue
        w = page["wrk"]
        ok = w["requests"] > 0 and w["p95_ms"] < TARGET_P95_MS and w["errors"] == 0
        verdict = "baseline" if page.get("baseline") else ("PASS" if ok else "MISS")
        cpu = page["app_cpu_ms"] + page["db_cpu_ms"]
        print(f"{page['name']:<20} {w['p50_ms']:>7.1f} {w['p95_ms']:>7.1f} {w['p99_ms']:>7.1f} {w['rps']:>6.0f} "
              f"{w['errors']:>4} {w['p95_ms'] / base['p95_ms']:>8.1f}x {w['rps'] / base['rps']:>8.3f}x "
              f"{page['app_cpu_ms']:>5.1f}+{page['db_cpu_ms']:<5.1f} {page['single_ms']:>9.1f} {page['queries']:>7} "
              f"{page['bytes'] / 1024:>4.0f}  {verdict}")
        extra = (f"{w['rps']:.0f} req/s; CPU {page['app_cpu_ms']:.1f} app + {page['db_cpu_ms']:.1f} DB ms/req "
                 f"(<= {cores * 1000 / cpu:.0f} req/s on {cores} cores); {page['queries']} queries")
        if page.get("baseline"):
            rows.append({"bench": "pages", "name": "/healthz p95 (baseline, 20 clients)", "measured": w["p95_ms"],
                         "unit": "ms", "target": "", "pass": None, "extra": extra})
        else:
            rows.append({"bench": "pages", "name": f"{page['name']} p95 (20 clients)", "measured": w["p95_ms"],
                         "unit": "ms", "target": f"< {TARGET_P95_MS:.0f} ms", "pass": ok,
                         "ratio": w["p95_ms"] / base["p95_ms"], "ratio_of": "x /healthz p95", "extra": extra})
    print(f"CPU ms/req = gunicorn worker + PostgreSQL backend CPU time / requests. A closed loop of "
          f"{args.connections} clients meets p95 < {TARGET_P95_MS:.0f} ms only if the machine serves about "
          f"{args.connections * 1000 / TARGET_P95_MS:.0f} req/s, i.e. about {cores * TARGET_P95_MS / args.connections:.0f} "
          f"CPU ms per request (app + DB + wrk) on {cores} cores.")
    if args.explain:
        for page in pages[1:]:
            if not page.get("slowest_sql"):
                continue
            print(f"\n--- {page['name']}: slowest query {page['slowest_ms']:.1f} ms\n{page['slowest_sql'][:600]}")
            print(explain(page["slowest_sql"]))
    emit_results(rows, args.json)


if __name__ == "__main__":
    main()
