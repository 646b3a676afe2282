"""The search benchmark (issue 3 part 13): both engines, in the same run, at 100,000 practices and at
1,000,000 indexed items.

    .venv/bin/python bench/search_bench.py                       # --search-scale 1m: 100k, then 1M
    .venv/bin/python bench/search_bench.py --search-scale 100k   # 100k practices only
    .venv/bin/python bench/search_bench.py --search-scale small  # 10k then 50k: a quick check
    make bench BENCH_ARGS="--search"                             # the same, through bench/run.py

One PostgreSQL database (BENCH_SEARCH_POSTGRES_URL, default .../enlets_bench_search; its name must
start with enlets_bench, it is dropped and recreated) is the source of truth for both engines; the
tantivy index lives in bench/work/search/index. Each step runs in its own process (`worker ...`).

At each size, for each engine:
1. the module's query (engine.search: words + the access labels of a typical member + facet counts
   + snippets + the re-check of the hits) vs the raw engine query for the same words (tantivy's
   searcher with the same word query, top 20 and the count; PostgreSQL: the same tsquery, count and
   ranked top 20 in SQL), median and p95, and their ratio (target <= 2x);
2. GET /api/v1/search?q=... p50/p95 for 1 and 16 clients (bench/serve.py, bench/load.py; target
   p95 < 25 ms for one client at 1M on tantivy), and the typical query again with ?facets=true (the
   facet counts, a second pass over the matches, which the API counts only when asked);
3. /practices/?topic=..&country=.. p95 (the page when it answers 200; else the same queryset through
   PracticeFilters + visible_to + paginate, in process, and the report says which);
4. the index build rate: engine.rebuild() at the first size (the module's own path); the items
   added to reach 1M are indexed in bulk through the engines' own document/entry builders with
   one writer (tantivy) or COPY (PostgreSQL), and that rate is reported separately;
5. the topic summary PDF for a topic of 200 practices (enlets.practices.summary.render_summary_pdf).

Results: bench/results/<timestamp>-search.json and .md. Method: docs/performance.md ("Search").
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

WORK = ROOT / "bench" / "work" / "search"
HOST = "127.0.0.1"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/enlets_bench_search"
# Practices at each measured size: the first size is built with the module's rebuild, the next
# ones are added and indexed in bulk.
SCALES = {"small": [10_000, 50_000], "100k": [100_000], "1m": [100_000, 1_000_000]}
TARGETS = {"module_vs_raw_ratio_max": 2.0, "api_p95_ms_1_client_1m_tantivy_max": 25.0}
ENGINE_NAMES = ("tantivy", "postgres")


def log(message: str) -> None:
    print(f"[search-bench {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    return load.percentile(values, q)


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 3, budget_s: float = 30.0) -> dict[str, float]:
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn()
        if time.perf_counter() - t0 > 1.0:
            break  # a query of seconds needs no more warming, and would eat the budget
    gc.collect()  # the previous series' garbage is not collected inside this one (see timed_pair)
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget_s and len(samples) >= 3:
            break
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
        "min_ms": round(min(samples), 3),
    }


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
        "min_ms": round(min(samples), 3),
    }


def timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], repeats: int, block: int = 5, budget_s: float = 60.0
) -> tuple[dict[str, float], dict[str, float]]:
    """Both functions timed in alternating blocks, so a ratio of the two is not skewed when a shared
    machine slows down or speeds up between them (seen here: the same raw query 8.7 ms in one
    minute and 11.7 ms a few minutes later)."""
    slow = False
    for fn in (first, second):
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            if time.perf_counter() - t0 > 1.0:
                slow = True  # a query of seconds needs no more warming, and would eat the budget
                break
    step = 1 if slow else block
    # Each series starts from a collected heap: measured right after the common query's series, the
    # selective query's module took 8.05 ms against 6.69 ms before it, and 7.14 ms after a collection.
    gc.collect()
    samples: tuple[list[float], list[float]] = ([], [])
    started = time.perf_counter()
    while len(samples[0]) < repeats:
        for fn, into in zip((first, second), samples, strict=True):
            for _ in range(step):
                t0 = time.perf_counter()
                fn()
                into.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget_s and len(samples[0]) >= 3:
            break
    return _stats(samples[0]), _stats(samples[1])


# --- The orchestrator ----------------------------------------------------------------------------------


def env_for(url: str, engine: str = "tantivy") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "ENLETS_DATA_DIR": str(WORK),
            "ENLETS_SEARCH_INDEX_DIR": str(WORK / "index"),
            "ENLETS_SEARCH_ENGINE": engine,
            "ENLETS_HTTPS": "0",
            "ENLETS_DEBUG": "0",
            "ENLETS_SECRET_KEY": "bench-only-secret-key-not-for-any-deployment-0123456789",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("ENLETS_DEMO_MODE", None)
    return env


def worker(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `search_bench.py worker ...` in its own process; it writes its answer as JSON to --out."""
    out = WORK / f"step-{time.monotonic_ns()}.json"
    subprocess.run([sys.executable, __file__, "worker", *args, "--out", str(out)], cwd=ROOT, env=env, check=True)
    data = json.loads(out.read_text())
    out.unlink()
    return data


def wait_for(port: int, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if load.status_of(HOST, port, "/healthz") == 200:
            return True
        time.sleep(0.5)
    return False


def http_measurements(
    engine: str, url: str, port: int, prepared: dict[str, Any], requests: int, budget: float
) -> dict[str, Any]:
    """The API search and the filtered practice list over HTTP, with the server on `engine`."""
    results: dict[str, Any] = {}
    log_path = WORK / f"server-{engine}.log"
    with log_path.open("w") as server_log:
        server = subprocess.Popen(
            [sys.executable, "bench/serve.py", HOST, str(port)],
            cwd=ROOT,
            env=env_for(url, engine),
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            if not wait_for(port):
                raise RuntimeError(f"the server did not answer /healthz; see {log_path}")
            bearer = {"Authorization": f"Bearer {prepared['token']}"}
            cookie = {"Cookie": f"sessionid={prepared['session']}"}
            # The baselines first: how fast this host answers a request that does nearly nothing, and
            # one through the API's token look-up, in the same minute as the searches (the host's
            # speed drifts by a third within a session).
            plan = [
                ("healthz (baseline)", "/healthz", {}),
                ("api me (baseline: token, API, JSON)", "/api/v1/me", bearer),
                (f"api search typical ({prepared['queries']['typical']})", prepared["paths"]["api_typical"], bearer),
                (
                    f"api search typical with facet counts ({prepared['queries']['typical']}, facets=true)",
                    prepared["paths"]["api_typical_facets"],
                    bearer,
                ),
                (
                    f"api search selective ({prepared['queries']['selective']})",
                    prepared["paths"]["api_selective"],
                    bearer,
                ),
                ("practice list filtered", prepared["paths"]["list"], cookie),
            ]
            for name, path, headers in plan:
                status = load.status_of(HOST, port, path, headers, timeout=120)
                if status != 200:
                    results[name] = {"path": path, "unavailable": f"HTTP {status}"}
                    log(f"  {engine} {name}: not measured (HTTP {status})")
                    continue
                for clients in (1, 16):
                    summary = load.run(
                        HOST,
                        port,
                        path,
                        headers=headers,
                        requests=requests * (4 if clients > 1 else 1),
                        concurrency=clients,
                        warmup=5,
                        budget_s=budget,
                    )
                    results[f"{name} x{clients}"] = summary
                    log(
                        f"  {engine} {name} x{clients}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms "
                        f"({summary['requests']} requests, {summary['statuses']})"
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.search_postgres_url or os.environ.get("BENCH_SEARCH_POSTGRES_URL", DEFAULT_URL)
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = SCALES[args.search_scale]
    started = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {
        "kind": "search",
        "search_scale": args.search_scale,
        "started": started.isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "targets": TARGETS,
        "database": url.rsplit("/", 1)[-1],
        "sizes": {},
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = results_dir / f"{started:%Y%m%dT%H%M%SZ}-search"

    def save() -> None:
        stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
        stem.with_suffix(".md").write_text(markdown(report))

    env = env_for(url)
    t_all = time.monotonic()
    previous = 0
    if args.search_skip_generate:
        # Measure what an earlier --search-build-only run left: the largest size, data and indexes.
        sizes = sizes[-1:]
        report["skip_generate"] = True
    for number, size in enumerate(sizes):
        label = f"{size:,} practices"
        entry: dict[str, Any] = {"practices": size}
        report["sizes"][label] = entry
        log(f"== {label} ==")
        if args.search_skip_generate:
            entry["generate"] = {"skipped": "measured the data and indexes of an earlier build"}
        else:
            _build(entry, number, size, previous, env)
        save()
        previous = size
        if args.search_build_only:
            continue
        prepared = worker(["prepare"], env)
        # The results file keeps what was measured, not the bench member's session and token.
        entry["prepared"] = {k: v for k, v in prepared.items() if k not in ("session", "token")}
        entry["engines"] = {}
        for engine in ENGINE_NAMES:
            log(f"measuring {engine} in process")
            entry["engines"][engine] = worker(
                ["measure", "--engine", engine, "--repeats", str(args.search_repeats)], env
            )
            save()
        if not args.search_no_http:
            for offset, engine in enumerate(ENGINE_NAMES):
                log(f"HTTP with the {engine} engine")
                entry["engines"][engine]["http"] = http_measurements(
                    engine, url, args.search_port + offset, prepared, args.search_requests, args.search_budget
                )
                save()
        log("topic summary PDF")
        entry["summary_pdf"] = worker(["summary"], env)
        save()
    report["seconds"] = round(time.monotonic() - t_all, 1)
    save()
    log(f"results: {stem.with_suffix('.json')} and {stem.with_suffix('.md')} ({report['seconds']} s)")
    return report


def _build(entry: dict[str, Any], number: int, size: int, previous: int, env: dict[str, str]) -> None:
    """Generate the practices up to `size` and index them with both engines (module path first)."""
    t0 = time.monotonic()
    entry["generate"] = worker(
        ["generate", "--practices", str(size - previous), *(["--fresh"] if number == 0 else [])], env
    )
    entry["generate"]["seconds"] = round(time.monotonic() - t0, 1)
    log(f"generated {size - previous:,} practices in {entry['generate']['seconds']} s")
    entry["index"] = {}
    for engine in ENGINE_NAMES:
        mode = "rebuild" if number == 0 else "bulk"
        log(f"indexing with {engine} ({mode})")
        entry["index"][engine] = worker(["index", "--engine", engine, "--mode", mode, "--after", str(previous)], env)
        log(f"  {engine}: {entry['index'][engine]}")


# --- The report -----------------------------------------------------------------------------------------


def _t(value: dict[str, Any] | None) -> str:
    return "-" if not value else f"{value['median_ms']} / {value['p95_ms']}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Search benchmark: {report['search_scale']} scale, {report['started']}",
        "",
        f"Machine: {report['machine']}. Database: {report['database']} (PostgreSQL). Method: docs/performance.md "
        '("Search"). Times in ms, median / p95 unless marked.',
        "",
    ]
    for label, entry in report["sizes"].items():
        lines += [f"## {label}", ""]
        gen = entry.get("generate", {})
        lines.append(f"Indexed items: {gen.get('indexed_items', '-')}; generated in {gen.get('seconds', '-')} s.")
        lines.append("")
        lines += [
            "### Index build",
            "",
            "| engine | path | items | seconds | items/s | segments after |",
            "|---|---|---|---|---|---|",
        ]
        for engine, idx in entry.get("index", {}).items():
            lines.append(
                f"| {engine} | {idx.get('mode')} | {idx.get('items')} | {idx.get('seconds')} "
                f"| {idx.get('rate_per_s')} | {idx.get('segments', '-')} |"
            )
        lines.append("")
        prepared = entry.get("prepared", {})
        if prepared:
            lines.append(
                f"Typical member: {prepared.get('member_labels')} labels; queries: "
                + ", ".join(f"{k} = `{v}`" for k, v in prepared.get("queries", {}).items())
                + f"; list filter: `{prepared.get('paths', {}).get('list')}`."
            )
            lines.append("")
        for engine, m in entry.get("engines", {}).items():
            lines += [
                f"### {engine}",
                "",
                *([f"Index segments: {m['segments']}.", ""] if "segments" in m else []),
                "| query | hits (member / raw) | module search | raw engine query | ratio median | ratio p95 |",
                "|---|---|---|---|---|---|",
            ]
            for name, q in m.get("queries", {}).items():
                lines.append(
                    f"| {name} | {q.get('member_total')} / {q.get('raw_total')} | {_t(q.get('module'))} | "
                    f"{_t(q.get('raw'))} | {q.get('ratio_median')} | {q.get('ratio_p95')} |"
                )
            work = m.get("engine_work", {})
            if work:
                lines.append("")
                lines.append(
                    "Engine work only (module query without its database re-check and task look-up) vs raw: "
                    + "; ".join(
                        f"{k} {_t(v['engine_work'])} vs {_t(v['raw'])} = {v['ratio_median']}x median, "
                        f"{v['ratio_p95']}x p95"
                        for k, v in work.items()
                    )
                )
            parts = m.get("module_parts", {})
            if parts:
                lines.append("")
                lines.append(
                    "Module query by part (typical query): " + ", ".join(f"{k} {_t(v)}" for k, v in parts.items())
                )
            listing = m.get("list")
            if listing:
                lines.append("")
                lines.append(
                    f"Practice list, in process ({listing['how']}): {_t(listing['timing'])}; "
                    f"{listing['count']} results."
                )
            http = m.get("http", {})
            if http:
                lines += [
                    "",
                    "| HTTP endpoint | clients | p50 | p95 | requests | statuses |",
                    "|---|---|---|---|---|---|",
                ]
                for name, h in http.items():
                    if "unavailable" in h:
                        lines.append(f"| {name} (`{h['path']}`) | - | - | - | - | {h['unavailable']} |")
                    else:
                        lines.append(
                            f"| {name} | {h['concurrency']} | {h['p50_ms']} | {h['p95_ms']} | {h['requests']} | "
                            f"{h['statuses']} |"
                        )
            lines.append("")
        pdf = entry.get("summary_pdf")
        if pdf:
            if pdf.get("skipped"):
                lines.append(f"Topic summary PDF: skipped ({pdf['skipped']}).")
            else:
                lines.append(
                    f"Topic summary PDF ({pdf['practices']} practices, {pdf['bytes']:,} bytes): {_t(pdf['timing'])}."
                )
            lines.append("")
    if "seconds" in report:
        lines.append(f"Whole search benchmark: {report['seconds']} s.")
    return "\n".join(lines) + "\n"


# --- Workers (each in its own process, Django set up for the bench database) ----------------------------


def _setup() -> None:
    from bench.generate import setup_django

    setup_django()


def step_generate(practices: int, fresh: bool) -> dict[str, Any]:
    from bench import generate as g

    url = os.environ["DATABASE_URL"]
    if fresh:
        g.fresh_database(url)
    _setup()
    g.migrate()
    gen = g.Generator(g.Scale(documents=0, events=0, people=5_000, groups=100, orgs=125, heavy_groups=40))
    if fresh:
        gen.network()
    else:
        _load_network(gen)
    topics = g.practice_topics(gen)
    # The first batch keeps the summary topic's 200 practices; later ones add none to it.
    # Added practices are plain prose (no Markdown markup): the bulk path then skips the renderer.
    written = g.practices(gen, practices, topics, summary_size=200 if fresh else 0, markup=fresh)
    gen.analyse()
    from enlets.practices.models import Practice

    return {"written": written, "indexed_items": Practice.objects.count()}


def _load_network(gen: Any) -> None:
    """The generator's view of the people already in the database (to add practices later)."""
    from enlets.network.models import InterestGroup, Organisation, User

    net = gen.net
    for pk, country in Organisation.objects.values_list("pk", "country_id"):
        net.org_ids.append(pk)
        net.org_country[pk] = country
    for pk, org, name in User.objects.order_by("pk").values_list("pk", "organisation_id", "username"):
        net.user_ids.append(pk)
        net.user_org[pk] = org
        net.user_name[pk] = name
    net.group_ids = list(InterestGroup.objects.values_list("pk", flat=True))
    # Continue the random stream elsewhere than the first batch did.
    gen.rng.seed(len(net.user_ids) * 7919 + int(time.time()))


def _engine(name: str) -> Any:
    from django.conf import settings

    if name == "postgres":
        from enlets.search.postgres_engine import PostgresEngine

        return PostgresEngine()
    from enlets.search.tantivy_engine import TantivyEngine

    return TantivyEngine(settings.SEARCH_INDEX_DIR)


def step_index(engine_name: str, mode: str, after: int) -> dict[str, Any]:
    """rebuild: the module's own engine.rebuild(). bulk: the items after the first `after` (all of
    them, into an emptied index, when `after` is 0) through the engine's own document builder, in
    one writer (tantivy) or by COPY (PostgreSQL)."""
    _setup()
    from django.db import connection

    from enlets.practices.models import Practice

    engine = _engine(engine_name)
    if mode == "rebuild":
        t0 = time.monotonic()
        items = engine.rebuild(batch_size=1000)
        seconds = time.monotonic() - t0
    else:
        if after:
            after_pk = Practice.objects.order_by("pk").values_list("pk", flat=True)[after - 1]
        else:
            # Every item afresh, after a change of what a document holds: faster than a rebuild.
            engine.clear()
            after_pk = 0
        t0 = time.monotonic()
        items = _bulk_index(engine, after_pk)
        seconds = time.monotonic() - t0
    out = {"mode": mode, "items": items, "seconds": round(seconds, 1), "rate_per_s": round(items / seconds)}
    if engine_name == "postgres":
        # What autovacuum would do soon after a load this size: statistics, and the GIN pending
        # lists merged into the indexes (a fresh pending list makes every search scan it).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE search_searchentry")
    else:
        index = engine._open(create=False)
        index.reload()
        out["segments"] = index.searcher().num_segments
    return out


# The practices to add in bulk, with everything indexing reads, in one statement per chunk.
BULK_SQL = """
SELECT p.id, p.title, p.summary, p.technology, p.problem, p.solution, p.results, p.lessons, p.transferability,
       p.tlp, p.state, p.owner_id, o.country_id, p.language,
       ARRAY(SELECT t.slug FROM practices_practice_topics pt JOIN practices_topic t ON t.id = pt.topic_id
             WHERE pt.practice_id = p.id ORDER BY pt.id),
       ARRAY(SELECT c.country_id FROM practices_practice_countries c WHERE c.practice_id = p.id ORDER BY c.id),
       ARRAY(SELECT l.label FROM practices_practiceaccesslabel l WHERE l.item_id = p.id),
       ARRAY(SELECT a.user_id FROM practices_practice_co_authors a WHERE a.practice_id = p.id),
       ARRAY(SELECT DISTINCT r.user_id FROM practices_practice_topics pt
             JOIN practices_topic_reviewers r ON r.topic_id = pt.topic_id
             JOIN network_user u ON u.id = r.user_id AND u.is_active
             WHERE pt.practice_id = p.id)
FROM practices_practice p JOIN network_organisation o ON o.id = p.owner_organisation_id
WHERE p.id > %s ORDER BY p.id LIMIT %s
"""


class BulkItem:
    """A practice row in the shape indexing reads (attributes, `str()`, facet sources, labels)."""

    def __init__(self, row: tuple[Any, ...]) -> None:
        from types import SimpleNamespace

        (
            self.pk,
            self.title,
            self.summary,
            self.technology,
            self.problem,
            self.solution,
            self.results,
            self.lessons,
            self.transferability,
            self.tlp,
            self.state,
            self.owner_id,
            owner_country,
            self.language,
            topics,
            countries,
            self.stored_labels,
            self.co_author_ids,
            self.reviewer_ids,
        ) = row
        self.owner_organisation = SimpleNamespace(country_id=owner_country)
        self.topics = _Related([SimpleNamespace(slug=slug) for slug in topics])
        self.countries = _Related([SimpleNamespace(pk=code) for code in countries])

    def __str__(self) -> str:
        return self.title


class _Related(list):
    def all(self) -> list[Any]:
        return self


def bulk_labels(item: BulkItem) -> list[str]:
    """enlets.search.base.item_search_labels for a BulkItem (checked against it in `_check_bulk`)."""
    from enlets.core import access
    from enlets.practices.models import Practice

    labels = {access.person_label(pk) for pk in [item.owner_id, *item.co_author_ids]}
    if item.state in Practice.RELEASED_STATES:
        labels.update(item.stored_labels)
    if item.state in Practice.REVIEW_STATES:
        labels.update(access.person_label(pk) for pk in item.reviewer_ids)
    return sorted(labels)


def bulk_document(engine: Any, item: BulkItem) -> Any:
    """TantivyEngine._document for a BulkItem: the same fields, values and labels."""
    import tantivy

    from enlets.practices.models import Practice
    from enlets.search import registry
    from enlets.search.tantivy_engine import (
        LANGUAGE_FIELD,
        PART_FIELD,
        add_facets,
        add_text_fields,
        index_labels,
        language_column,
        part_of,
    )

    key = registry.model_key(Practice)
    doc = tantivy.Document()
    doc.add_text("key", f"{key}:{item.pk}")
    doc.add_text(registry.TYPE_FACET, key)
    doc.add_unsigned("pk", item.pk)
    doc.add_text(PART_FIELD, part_of(item.pk))
    doc.add_text("display_title", str(item))
    values = add_text_fields(doc, Practice, item)
    add_facets(doc, Practice, item)
    for label in index_labels(bulk_labels(item)):
        doc.add_text("labels", label)
    doc.add_text(LANGUAGE_FIELD, item.language)
    if item.language in engine.stemmers:
        doc.add_text(language_column(item.language), "\n".join(v for v in values if v))
    return doc


def bulk_entry(engine: Any, item: BulkItem) -> dict[str, Any]:
    """PostgresEngine._entry for a BulkItem."""
    from enlets.practices.models import Practice
    from enlets.search import registry
    from enlets.search.languages import postgres_config
    from enlets.search.postgres_engine import _weight, fold

    texts: dict[str, list[str]] = {"a": [], "b": [], "c": [], "d": []}
    for field in registry.text_fields(Practice):
        texts[_weight(field.boost)].append(fold(field.value(item)))
    return {
        "title": str(item)[:300],
        **{f"text_{k}": "\n".join(v) for k, v in texts.items()},
        "facets": {field.name: field.stored(item) for field in registry.facet_fields(Practice)},
        "labels": bulk_labels(item),
        "language": postgres_config(item.language),
    }


def _bulk_rows(after_pk: int, chunk: int = 5000) -> Any:
    from django.db import connection

    last = after_pk
    while True:
        with connection.cursor() as cursor:
            cursor.execute(BULK_SQL, [last, chunk])
            rows = cursor.fetchall()
        if not rows:
            return
        yield [BulkItem(row) for row in rows]
        last = rows[-1][0]


def _check_bulk(engine: Any, after_pk: int, sample: int = 300) -> None:
    """The bulk builders must give exactly what the engine's own builders give, on a sample."""
    from enlets.practices.models import Practice
    from enlets.search.base import prefetch_for_index

    def same(d: dict[str, Any]) -> dict[str, Any]:
        # The order of a list facet's values means nothing to either index.
        return {k: same(v) if isinstance(v, dict) else sorted(v) if isinstance(v, list) else v for k, v in d.items()}

    items = next(_bulk_rows(after_pk, sample))
    wanted = Practice.objects.filter(pk__in=[i.pk for i in items])  # access: benchmark harness, serves no one
    real = {p.pk: p for p in prefetch_for_index(wanted)}
    for item in items:
        if engine.name == "tantivy":
            ours, theirs = bulk_document(engine, item).to_dict(), engine._document(real[item.pk]).to_dict()
        else:
            ours, theirs = bulk_entry(engine, item), engine._entry(real[item.pk])
        assert same(ours) == same(theirs), (item.pk, ours, theirs)


def _bulk_index(engine: Any, after_pk: int) -> int:
    """Index the practices with pk > after_pk: rows by one SQL statement per chunk, the engines'
    document/entry layout (checked against their own builders first), one tantivy writer or COPY."""
    from django.db import connection, transaction

    _check_bulk(engine, after_pk)
    done = 0
    if engine.name == "tantivy":
        from enlets.search.tantivy_engine import REBUILD_COMMIT_EVERY, REBUILD_WRITER_HEAP

        index = engine._open(create=True)
        # The module's rebuild writer and commit cadence, so the index has the segments a rebuild of
        # this many items leaves (every search pays per segment).
        writer = engine._writer(index, REBUILD_WRITER_HEAP)
        uncommitted = 0
        try:
            for items in _bulk_rows(after_pk):
                for item in items:
                    writer.add_document(bulk_document(engine, item))
                done += len(items)
                uncommitted += len(items)
                if uncommitted >= REBUILD_COMMIT_EVERY:
                    writer.commit()
                    uncommitted = 0
                if done % 100_000 < 5000:
                    log(f"  tantivy bulk: {done:,}")
            writer.commit()
        finally:
            writer.wait_merging_threads()
        return done
    from enlets.search.models import SearchEntry

    columns = ["model", "object_id", "title", *("text_a", "text_b", "text_c", "text_d"), "facets", "labels", "language"]
    columns.append("indexed_at")
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    with connection.cursor() as cursor:
        # Load first, index after: building the GIN indexes once is much faster than growing them.
        for name in ("search_entry_vector", "search_entry_labels", "search_entry_facets", "search_entry_language"):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    for items in _bulk_rows(after_pk):
        with transaction.atomic():
            raw = connection.connection
            sql = f"COPY {SearchEntry._meta.db_table} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for item in items:
                    entry = bulk_entry(engine, item)
                    copy.write_row(
                        (
                            "practices.practice",
                            item.pk,
                            entry["title"],
                            entry["text_a"],
                            entry["text_b"],
                            entry["text_c"],
                            entry["text_d"],
                            json.dumps(entry["facets"]),
                            json.dumps(entry["labels"]),
                            entry["language"],
                            now,
                        )
                    )
        done += len(items)
        if done % 100_000 < 5000:
            log(f"  postgres bulk: {done:,}")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("CREATE INDEX search_entry_vector ON search_searchentry USING GIN (vector)")
        cursor.execute("CREATE INDEX search_entry_labels ON search_searchentry USING GIN (labels)")
        cursor.execute("CREATE INDEX search_entry_facets ON search_searchentry USING GIN (facets jsonb_path_ops)")
        cursor.execute("CREATE INDEX search_entry_language ON search_searchentry (language)")
    return done


def _typical_member() -> Any:
    """A vetted, active member in two approved groups: what most searches are made by."""
    from django.db.models import Count, Q

    from enlets.network.models import User

    members = User.objects.filter(role="member", is_active=True)  # access: benchmark harness, serves no one
    return (
        members.filter(vetted_at__isnull=False)
        .exclude(username__in=("heavy", "auditor"))
        .annotate(n=Count("group_memberships", filter=Q(group_memberships__status="approved")))
        .filter(n=2)
        .order_by("pk")
        .first()
    )


def _queries() -> dict[str, str]:
    from bench.generate import SEARCH_VOCABULARY as V

    # By rank in the Zipf-drawn vocabulary: a frequent word, a typical pair (in a few per cent of the
    # items), three rarer words (in about one in a thousand).
    return {"typical": f"{V[60]} {V[90]}", "common": V[3], "selective": f"{V[170]} {V[200]} {V[230]}"}


def step_prepare() -> dict[str, Any]:
    _setup()
    from urllib.parse import urlencode

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.management import call_command
    from django.test import Client

    from enlets.core import access
    from enlets.network.actions import do_create_token

    call_command("collectstatic", interactive=False, verbosity=0)
    # After a bulk load autovacuum would vacuum every table soon, in the middle of the measurements:
    # do it now (visibility maps, statistics), so the figures are those of a settled database.
    from django.db import connection

    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum_seconds = round(time.monotonic() - t0, 1)
    user = _typical_member()
    factors = Authenticator.objects.filter(user=user)  # access: benchmark harness, serves no one
    if not factors.filter(type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(user)
    _, secret = do_create_token(user, name="search-benchmark", scope="read")
    queries = _queries()
    country = user.organisation.country_id
    return {
        "vacuum_seconds": vacuum_seconds,
        "member": user.username,
        "member_labels": len(access.user_labels(user)),
        "session": client.cookies["sessionid"].value,
        "token": secret,
        "queries": queries,
        "list_filter": {"topic": "anpr", "country": country},
        "paths": {
            "api_typical": "/api/v1/search?" + urlencode({"q": queries["typical"]}),
            "api_typical_facets": "/api/v1/search?" + urlencode({"q": queries["typical"], "facets": "true"}),
            "api_selective": "/api/v1/search?" + urlencode({"q": queries["selective"]}),
            "list": "/practices/?" + urlencode({"topic": "anpr", "country": country}),
        },
    }


def step_measure(engine_name: str, repeats: int) -> dict[str, Any]:
    _setup()
    from enlets.network.models import User

    engine = _engine(engine_name)
    member = User.objects.select_related("organisation").get(pk=_typical_member().pk)
    out: dict[str, Any] = {"queries": {}}
    if engine_name == "tantivy":
        out["segments"] = engine._open(create=False).searcher().num_segments
    raw = _raw_tantivy(engine) if engine_name == "tantivy" else _raw_postgres(engine)
    facets = {"topic": "anpr", "country": member.organisation.country_id}
    queries = _queries()
    plan = [(name, q, None) for name, q in queries.items()]
    plan.append(("typical + topic and country filters", queries["typical"], facets))
    for name, q, chosen in plan:

        def module(q: str = q, chosen: Any = chosen) -> Any:
            member._access_labels = None  # a request computes the labels afresh
            return engine.search(member, q, facets=chosen)

        results = module()
        module_times, raw_times = timed_pair(module, lambda q=q: raw(q), repeats)
        entry = {
            "query": q,
            "facets": chosen,
            "member_total": results.total,
            "raw_total": raw(q)[0],
            "hits_returned": len(results.hits),
            "module": module_times,
            "raw": raw_times,
        }
        entry["ratio_median"] = round(entry["module"]["median_ms"] / max(entry["raw"]["median_ms"], 1e-3), 2)
        entry["ratio_p95"] = round(entry["module"]["p95_ms"] / max(entry["raw"]["p95_ms"], 1e-3), 2)
        out["queries"][name] = entry
        log(
            f"  {engine_name} {name}: module {_t(entry['module'])}, raw {_t(entry['raw'])}, "
            f"ratio {entry['ratio_median']} (hits {entry['member_total']} / {entry['raw_total']})"
        )
    out["module_parts"] = _module_parts(engine, member, queries["typical"], repeats)
    out["engine_work"] = _engine_work(engine_name, engine, member, queries, raw, repeats)
    out["list"] = _list_in_process(member, repeats)
    return out


def _raw_tantivy(engine: Any) -> Callable[[str], tuple[int, list[str]]]:
    """The same word query straight on tantivy's searcher: the count and the top 20 keys."""
    index = engine._open(create=False)
    index.reload()
    searcher = index.searcher()
    schema = index.schema

    def raw(q: str) -> tuple[int, list[str]]:
        result = searcher.search(engine._text_query(schema, q), limit=20, count=True)
        keys = [searcher.doc(address).get_first("key") for _score, address in result.hits]
        return result.count or 0, keys

    return raw


def _raw_postgres(engine: Any) -> Callable[[str], tuple[int, list[str]]]:
    """The same tsquery in plain SQL: the count and the ranked top 20, no labels, facets or headlines."""
    from django.db import connection

    def raw(q: str) -> tuple[int, list[str]]:
        tsquery, params = engine._tsquery(q)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM search_searchentry WHERE vector @@ ({tsquery})", params)
            total = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT model, object_id FROM search_searchentry e, (SELECT {tsquery} AS query) q "
                "WHERE e.vector @@ q.query ORDER BY ts_rank(e.vector, q.query) DESC, e.id DESC LIMIT 20",
                params,
            )
            keys = [f"{m}:{pk}" for m, pk in cursor.fetchall()]
        return total, keys

    return raw


def _engine_work(
    engine_name: str, engine: Any, member: Any, queries: dict[str, str], raw: Any, repeats: int
) -> dict[str, Any]:
    """The module's query without its database round trips (the user's labels computed once, the
    re-check of the hits against visible_to() and the task-queue look-up stubbed out): what the
    engine itself does more than the raw query (labels, facet counts, snippets, stored fields)."""
    import importlib

    module = importlib.import_module(f"enlets.search.{engine_name}_engine")
    saved = module.check_hits, module.pending_index_tasks
    module.check_hits = lambda user, hits: (hits, False)
    module.pending_index_tasks = lambda: False
    out: dict[str, Any] = {}
    try:
        for name in ("typical", "selective"):
            q = queries[name]
            work, raw_times = timed_pair(lambda q=q: engine.search(member, q), lambda q=q: raw(q), repeats)
            entry = {"engine_work": work, "raw": raw_times}
            entry["ratio_median"] = round(entry["engine_work"]["median_ms"] / max(entry["raw"]["median_ms"], 1e-3), 2)
            entry["ratio_p95"] = round(entry["engine_work"]["p95_ms"] / max(entry["raw"]["p95_ms"], 1e-3), 2)
            out[name] = entry
            log(f"  {engine_name} {name} engine work only: {_t(entry['engine_work'])}, ratio {entry['ratio_median']}")
    finally:
        module.check_hits, module.pending_index_tasks = saved
    return out


def _module_parts(engine: Any, member: Any, q: str, repeats: int) -> dict[str, Any]:
    """Where the module's time goes, for the typical query: the parts the raw query lacks."""
    from enlets.core import access
    from enlets.search.base import check_hits, forget_pending_check, pending_index_tasks

    results = engine.search(member, q)
    parts: dict[str, Any] = {
        "user_labels": timed(lambda: (setattr(member, "_access_labels", None), access.user_labels(member)), repeats),
        "check_hits": timed(lambda: check_hits(member, list(results.hits)), repeats),
        # Asked afresh each time: a search asks at most once a second (PENDING_CHECK_SECONDS).
        "pending_index_tasks": timed(lambda: (forget_pending_check(), pending_index_tasks()), repeats),
    }
    if engine.name == "tantivy":
        import tantivy

        index = engine._open(create=False)
        searcher = index.searcher()
        schema = index.schema
        from enlets.search import registry
        from enlets.search.tantivy_engine import facet_counts, labels_clause, ranked_in_parts

        labels = access.user_labels(member)
        estimated = engine._estimated_matches(searcher, q)

        def labelled(text: Any) -> Any:
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, text), labels_clause(schema, labels, estimated)])

        full = labelled(engine._text_query(schema, q))
        matching = labelled(engine._text_query(schema, q, matching_only=True))

        names = list(registry.all_facets())
        parts["labelled_search"] = timed(lambda: searcher.search(full, limit=20, count=False), repeats)
        # The same page ranked in the index's two parts at once, as the module ranks it (change 22).
        parts["labelled_search_in_parts"] = timed(
            lambda: ranked_in_parts(searcher, schema, full, 0, 20, count=False), repeats
        )
        parts["facet_counts"] = timed(lambda: facet_counts(searcher, matching, names), repeats)
        # What the counts cost before ALL_TEXT: the same counts over the ranked query's columns.
        parts["facet_counts_on_ranked_query"] = timed(lambda: facet_counts(searcher, full, names), repeats)
        # A full reload, which a search now does only after a commit; the check it does instead.
        parts["reload"] = timed(index.reload, repeats)
        parts["reload_check"] = timed(lambda: engine._reload(index), repeats)
    return parts


def _list_in_process(member: Any, repeats: int) -> dict[str, Any]:
    """The practice list's queryset (filters + visibility + one page), as the list page runs it."""
    from django.test import RequestFactory

    from enlets.core.listing import paginate
    from enlets.practices import filters
    from enlets.practices.models import Practice

    params = {"topic": "anpr", "country": member.organisation.country_id}
    request = RequestFactory().get("/practices/", params)

    def page() -> Any:
        member._access_labels = None
        f = filters.PracticeFilters.parse(params)
        qs, _sort = filters.order(f.apply(Practice.objects.visible_to(member), member), None)
        return paginate(request, qs)

    listing = page()
    return {
        "how": "PracticeFilters.parse/apply + visible_to + order + paginate (25 a page)",
        "count": listing.count,
        "timing": timed(page, repeats),
    }


def step_summary(repeats: int = 3) -> dict[str, Any]:
    import logging

    _setup()
    # WeasyPrint logs every page it lays out at INFO.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        from enlets.practices.summary import render_summary_pdf
    except ImportError as error:
        return {"skipped": f"enlets.practices.summary.render_summary_pdf is not there yet ({error})"}
    from enlets.practices.models import Practice, Topic
    from enlets.practices.summary import summary_practices

    topic = Topic.objects.get(slug="bench-summary")  # access: benchmark harness, serves no one
    member = _typical_member()
    count = summary_practices(topic, member).count()
    try:
        data = render_summary_pdf(topic, member)
    except Exception as error:  # a missing system library, a template being written: say so
        return {"skipped": f"render_summary_pdf failed: {type(error).__name__}: {error}"}
    return {
        "topic": topic.slug,
        "practices": count,
        "in_topic": Practice.objects.filter(topics=topic).count(),  # access: benchmark harness, serves no one
        "bytes": len(data),
        "timing": timed(lambda: render_summary_pdf(topic, member), repeats, warmup=0, budget_s=60),
    }


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["generate", "index", "prepare", "measure", "summary"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--practices", type=int, default=0)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--engine", choices=ENGINE_NAMES, default="tantivy")
    parser.add_argument("--mode", choices=["rebuild", "bulk"], default="rebuild")
    parser.add_argument("--after", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    if args.step == "generate":
        data = step_generate(args.practices, args.fresh)
    elif args.step == "index":
        data = step_index(args.engine, args.mode, args.after)
    elif args.step == "prepare":
        data = step_prepare()
    elif args.step == "measure":
        data = step_measure(args.engine, args.repeats)
    else:
        data = step_summary()
    args.out.write_text(json.dumps(data, indent=2, default=str))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--search-scale", choices=sorted(SCALES), default=None)
    parser.add_argument("--search-postgres-url", dest="search_postgres_url", default=None)
    parser.add_argument("--search-repeats", dest="search_repeats", type=int, default=50)
    parser.add_argument("--search-requests", dest="search_requests", type=int, default=200)
    parser.add_argument("--search-budget", dest="search_budget", type=float, default=30.0)
    parser.add_argument("--search-port", dest="search_port", type=int, default=8290)
    parser.add_argument("--search-no-http", dest="search_no_http", action="store_true")
    parser.add_argument(
        "--search-build-only",
        dest="search_build_only",
        action="store_true",
        help="generate and index, measure nothing (then measure with --search-skip-generate)",
    )
    parser.add_argument(
        "--search-skip-generate",
        dest="search_skip_generate",
        action="store_true",
        help="measure the largest size of the scale on the data and indexes already built",
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "worker":
        return worker_main(argv[1:])
    parser = argparse.ArgumentParser(description="The search benchmark (both engines).")
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.search_scale = args.search_scale or "1m"
    report = run(args)
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
