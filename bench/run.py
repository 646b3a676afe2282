"""`make bench`: generate, then measure, on SQLite and PostgreSQL in the same run.

    .venv/bin/python bench/run.py                      # --scale small: 100k documents, 100k audit events
    .venv/bin/python bench/run.py --scale full         # 1M documents, 1M audit events
    .venv/bin/python bench/run.py --engines sqlite --scale tiny
    .venv/bin/python bench/run.py --search                    # only the search benchmark (bench/search_bench.py)
    .venv/bin/python bench/run.py --search --search-scale small   # its quick check
    .venv/bin/python bench/run.py --no-search                 # everything but the search benchmark

Per engine: bench/generate.py fills a fresh database (bench/work/, git-ignored); bench/measure_sql.py
times the queries (median/p95) and records their plans; a server (bench/serve.py: Django's threaded
WSGI server, as runserver uses, with TCP_NODELAY, and bench/settings.py) is started on loopback and
bench/load.py measures the pages and the API (p50/p95 for 1 and 8 clients); then the proposed index
and query are prototyped in the scratch database and timed again.
Then, unless --no-search, the search benchmark (bench/search_bench.py: both search engines at
100,000 practices and 1,000,000 items; --search-scale small|100k|1m, by default 1m with --search or
--scale full, 100k after --scale small, small after --scale tiny).
Results: bench/results/<timestamp>-<scale>.json and bench/results/latest.md; the search part writes
bench/results/<timestamp>-search.{json,md}.
Method and targets: docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, search_bench  # noqa: E402

SCALES = {
    "tiny": {"documents": 5_000, "events": 5_000, "people": 500, "groups": 50},
    "small": {"documents": 100_000, "events": 100_000, "people": 5_000, "groups": 100},
    "full": {"documents": 1_000_000, "events": 1_000_000, "people": 20_000, "groups": 300},
}
ENGINES = {
    "sqlite": lambda work: f"sqlite:///{work / 'enlets.sqlite3'}",
    "postgresql": lambda work: os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/enlets_bench"),
}
TARGETS = {"filter_ratio_max": 1.5, "list_p95_ms_max": 100.0, "audit_p95_ms_max": 100.0}
HOST = "127.0.0.1"
SLOW_MS = 2000.0


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", flush=True)


def engine_env(work: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "ENLETS_DATA_DIR": str(work),
            "ENLETS_HTTPS": "0",
            "ENLETS_DEBUG": "0",
            "ENLETS_SECRET_KEY": "bench-only-secret-key-not-for-any-deployment-0123456789",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("ENLETS_DEMO_MODE", None)
    return env


def py(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


def wait_for(port: int, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if load.status_of(HOST, port, "/healthz") == 200:
            return True
        time.sleep(0.5)
    return False


def http_measurements(port: int, clients: dict[str, Any], requests: int, budget_s: float) -> dict[str, Any]:
    heavy = {"Cookie": f"sessionid={clients['heavy']['session']}"}
    bearer = {"Authorization": f"Bearer {clients['heavy']['token']}"}
    auditor = {"Cookie": f"sessionid={clients['auditor']['session']}"}
    plan = [
        ("healthz (minimal baseline)", "/healthz", {}, (1, 8)),
        ("bench list, unfiltered", "/bench/list?filter=0", heavy, (1, 8)),
        ("bench list, visibility-filtered", "/bench/list?filter=1", heavy, (1, 8)),
        ("documents page", "/documents/", heavy, (1, 8)),
        ("documents API", "/api/v1/documents", bearer, (1, 8)),
        ("audit browser, common action", "/audit/?action=documents.document.update", auditor, (1,)),
        ("audit browser, rare action", "/audit/?action=user.deactivate", auditor, (1,)),
        (
            "audit API, common action",
            "/api/v1/audit/events?action=documents.document.update",
            {"Authorization": f"Bearer {clients['auditor']['token']}"},
            (1,),
        ),
    ]
    results: dict[str, Any] = {}
    for name, path, headers, concurrencies in plan:
        status = load.status_of(HOST, port, path, headers, timeout=300)
        if status != 200:
            results[name] = {"path": path, "unavailable": f"HTTP {status}"}
            log(f"  {name}: not measured (HTTP {status})")
            continue
        for c in concurrencies:
            single = results.get(f"{name} x1")
            if c > 1 and single and single["p50_ms"] > SLOW_MS:
                # Eight clients of a request that takes seconds only measure the queue.
                results[f"{name} x{c}"] = {"path": path, "concurrency": c, "skipped": f"x1 p50 over {SLOW_MS:.0f} ms"}
                continue
            summary = load.run(
                HOST,
                port,
                path,
                headers=headers,
                requests=requests * c if c > 1 else requests,
                concurrency=c,
                warmup=3,
                budget_s=budget_s,
            )
            results[f"{name} x{c}"] = summary
            log(
                f"  {name} x{c}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms "
                f"({summary['requests']} requests, statuses {summary['statuses']})"
            )
    return results


def run_engine(engine: str, scale_name: str, args: argparse.Namespace) -> dict[str, Any]:
    work = ROOT / "bench" / "work" / engine
    work.mkdir(parents=True, exist_ok=True)
    url = ENGINES[engine](work)
    env = engine_env(work, url)
    scale = SCALES[scale_name]
    out: dict[str, Any] = {"engine": engine, "scale": scale}
    if not args.skip_generate:
        log(f"{engine}: generating {scale}")
        t0 = time.monotonic()
        py(["bench/generate.py", "--fresh", *[f"--{k}={v}" for k, v in scale.items()]], env)
        out["generate_seconds"] = round(time.monotonic() - t0, 1)
    log(f"{engine}: preparing clients")
    py(
        ["bench/measure_sql.py", "prepare", "--out", str(work / "clients.json")]
        + (["--proposed-index"] if args.proposed_index else []),
        env,
    )
    if not args.no_sql:
        log(f"{engine}: measuring SQL")
        py(["bench/measure_sql.py", "measure", "--out", str(work / "sql.json"), "--repeats", str(args.repeats)], env)
        out["sql"] = json.loads((work / "sql.json").read_text())
    clients = json.loads((work / "clients.json").read_text())
    if not args.no_http:
        port = args.port + (0 if engine == "sqlite" else 1)
        log(f"{engine}: starting the server on {HOST}:{port}")
        with (work / "server.log").open("w") as server_log:
            server = subprocess.Popen(
                [sys.executable, "bench/serve.py", HOST, str(port)],
                cwd=ROOT,
                env=env,
                stdout=server_log,
                stderr=subprocess.STDOUT,
            )
            try:
                if not wait_for(port):
                    raise RuntimeError(f"the server did not answer /healthz; see {work / 'server.log'}")
                key = "http_with_proposed_index" if args.proposed_index else "http"
                out[key] = http_measurements(port, clients, args.requests, args.budget)
            finally:
                server.terminate()
                server.wait(timeout=30)
    if not args.no_prototype:
        log(f"{engine}: prototyping the proposed index and query")
        py(
            [
                "bench/measure_sql.py",
                "prototype",
                "--out",
                str(work / "sql-proposed.json"),
                "--repeats",
                str(args.repeats),
            ],
            env,
        )
        out["sql_proposed"] = json.loads((work / "sql-proposed.json").read_text())
    return out


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value}"


def timing(value: dict[str, Any] | None) -> str:
    return "-" if not value else f"{value['median_ms']} / {value['p95_ms']}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Benchmark results: {report['scale']} scale, {report['started']}",
        "",
        f"Machine: {report['machine']}. Method and targets: docs/performance.md.",
        "",
    ]
    for engine, r in report["engines"].items():
        s = r.get("sql") or {"documents": 0, "audit_events": 0, "heavy_groups": 0}
        lines += [
            f"## {engine}",
            "",
            f"{s['documents']:,} documents, {s['audit_events']:,} audit events; heavy member in "
            f"{s['heavy_groups']} groups; generated in {fmt(r.get('generate_seconds'))} s.",
            "",
            "### SQL level (median / p95 ms)",
            "",
            "| query | current schema | with the proposed index (`*_proposed_q`: query A, `*_hybrid_q`: query B) |",
            "|---|---|---|",
        ]
        p = r.get("sql_proposed", {})
        for key in (
            "baseline_select_1",
            "unfiltered_page",
            "filtered_page",
            "filtered_page_previous",
            "unfiltered_page_sql_only",
            "filtered_page_sql_only",
            "filtered_page_previous_sql_only",
            "amber_page",
            "amber_page_previous",
            "filtered_page_proposed_q",
            "unfiltered_list50",
            "filtered_list50",
            "filtered_list50_previous",
            "filtered_list50_proposed_q",
            "unfiltered_count",
            "filtered_count",
            "filtered_count_previous",
            "filtered_count_proposed_q",
            "filtered_page_hybrid_q",
            "filtered_list50_hybrid_q",
            "filtered_count_hybrid_q",
            "audit_common_page",
            "audit_rare_page",
        ):
            lines.append(f"| {key} | {timing(s.get(key))} | {timing(p.get(key))} |")
        for key in (
            "ratio_filtered_vs_unfiltered_median",
            "ratio_filtered_vs_unfiltered_p95",
            "ratio_previous_vs_unfiltered_median",
            "ratio_filtered_vs_unfiltered_sql_only_median",
            "same_first_page_as_previous",
            "same_count_as_previous",
            "amber_same_first_page_as_previous",
            "amber_same_count_as_previous",
            "ratio_proposed_vs_unfiltered_median",
            "ratio_proposed_vs_unfiltered_p95",
            "ratio_hybrid_vs_unfiltered_median",
            "ratio_hybrid_vs_unfiltered_p95",
        ):
            lines.append(f"| {key} | {fmt(s.get(key))} | {fmt(p.get(key))} |")
        lines.append("")
        for http_key, title in (("http", "current schema"), ("http_with_proposed_index", "with the proposed index")):
            if http_key not in r:
                continue
            lines += [
                f"### HTTP level, {title} (loopback, bench/serve.py: threaded WSGI server)",
                "",
                "| endpoint | clients | p50 ms | p95 ms | requests | statuses |",
                "|---|---|---|---|---|---|",
            ]
            for name, h in r[http_key].items():
                if "unavailable" in h:
                    lines.append(f"| {name} ({h['path']}) | - | - | - | - | {h['unavailable']} |")
                elif "skipped" in h:
                    lines.append(f"| {name} | {h['concurrency']} | - | - | - | skipped: {h['skipped']} |")
                else:
                    lines.append(
                        f"| {name} | {h['concurrency']} | {h['p50_ms']} | {h['p95_ms']} | {h['requests']} "
                        f"| {h['statuses']} |"
                    )
            lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate and measure on SQLite and PostgreSQL.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=30, help="SQL repetitions per query")
    parser.add_argument("--requests", type=int, default=100, help="HTTP requests per endpoint and client count")
    parser.add_argument("--budget", type=float, default=45.0, help="seconds at most per HTTP measurement")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--skip-generate", action="store_true", help="measure the databases already generated")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-prototype", action="store_true")
    parser.add_argument("--no-sql", action="store_true", help="skip the SQL-level measurement")
    parser.add_argument(
        "--proposed-index",
        action="store_true",
        help="HTTP with the proposed index created in the scratch database (use with --no-sql --no-prototype)",
    )
    parser.add_argument("--update", type=Path, help="merge into this earlier results file (same scale)")
    parser.add_argument("--search", action="store_true", help="run only the search benchmark")
    parser.add_argument("--no-search", action="store_true", help="skip the search benchmark")
    search_bench.add_arguments(parser)
    args = parser.parse_args()
    if args.search_scale is None:
        # --search alone: both sizes of the issue (100k, then 1M); in a full run, sized like --scale.
        args.search_scale = "1m" if args.search else {"tiny": "small", "small": "100k", "full": "1m"}[args.scale]
    if args.search:
        search_bench.run(args)
        return 0
    started = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {
        "scale": args.scale,
        "started": started.isoformat(timespec="seconds"),
        "targets": TARGETS,
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "engines": {},
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{started:%Y%m%dT%H%M%SZ}-{args.scale}.json"
    if args.update:
        path = args.update
        report = json.loads(path.read_text())
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        report["engines"].setdefault(engine, {}).update(run_engine(engine, args.scale, args))
        path.write_text(json.dumps(report, indent=2))
        (results_dir / "latest.md").write_text(markdown(report))
    log(f"results: {path} and {results_dir / 'latest.md'}")
    print(markdown(report))
    if args.no_search:
        pass
    elif "postgresql" not in args.engines:
        # Its database is PostgreSQL for both search engines: a run without PostgreSQL leaves it out.
        log("search benchmark skipped: it needs PostgreSQL (run bench/run.py --search)")
    else:
        search_bench.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
