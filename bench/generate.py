"""Fill a database with a benchmark-sized network: people, groups, documents with their labels, audit events.

    .venv/bin/python bench/generate.py --database sqlite:///bench/work/sqlite/enlets.sqlite3 \\
        --documents 1000000 --events 1000000 --people 20000 --groups 300 --fresh

Bulk inserts (executemany on SQLite, COPY on PostgreSQL) with explicit primary keys, in chunks,
so a million documents and a million audit events take minutes. Everything stays consistent
with the platform's rules:
- a document's stored labels are exactly `enlets.core.access.item_labels()` of its marking and
  audience (`labels_for` mirrors it; tests/test_bench_generate.py checks the two agree);
- audit events are appended to the existing chain with `enlets.core.audit.compute_hash` over
  `hashed_fields`, in id order, and AuditChainHead points at the last one, so `audit_verify` passes.

Fixed people for the measurements: `heavy` (a member of --heavy-groups interest groups; the
visibility filter's worst realistic case) and `auditor` (Core Group; may browse the audit trail).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50_000

TLP_WEIGHTS = {"CLEAR": 10, "GREEN": 40, "AMBER": 30, "AMBER+STRICT": 10, "RED": 10}
STATE_WEIGHTS = {"published": 85, "archived": 7, "draft": 8}
ROLE_WEIGHTS = {
    "member": 880,
    "ncp": 30,
    "core_group": 10,
    "secretariat": 5,
    "observer": 10,
    "external_partner": 60,
    "administrator": 5,
}
ACTION_WEIGHTS = {
    "documents.document.read": 35,
    "documents.document.update": 18,
    "documents.document.create": 14,
    "auth.login": 15,
    "token.use": 5,
    "group.membership_approve": 4,
    "user.update_profile": 3,
    "auth.login_failed": 3,
    "group.join_request": 2,
    "user.deactivate": 0.2,
    "user.vet": 0.8,
}
WORDS = (  # noqa: SIM905 - a readable word list
    "drone detection ANPR OSINT cryptocurrency forensics procurement ballistic vest control room golden hour "
    "body-worn camera mobile workplace surveillance radar jamming blockchain extraction triage interoperability "
    "requirements market survey lessons learned trial evaluation specification"
).split()


def setup_django(database_url: str | None = None) -> None:
    """Configure Django for `database_url` (or $DATABASE_URL) before any model import."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enlets.settings")
    os.environ.setdefault("ENLETS_SECRET_KEY", "bench-only-secret-key-not-for-any-deployment-0123456789")
    os.environ.setdefault("ENLETS_HTTPS", "0")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def labels_for(
    tlp: str, countries: Iterable[str], orgs: Iterable[int], groups: Iterable[int], people: Iterable[int]
) -> list[str]:
    """The labels of an item: the same rule as enlets.core.access.item_labels, on plain values."""
    from enlets.core import access

    if tlp == "CLEAR":
        return [access.PUBLIC]
    if tlp == "GREEN":
        return [access.COMMUNITY]
    labels = [access.person_label(pk) for pk in people]
    if tlp in ("AMBER", "AMBER+STRICT"):
        labels += [access.org_label(pk) for pk in orgs]
    if tlp == "AMBER":
        labels += [access.country_label(code) for code in countries]
        labels += [access.group_label(pk) for pk in groups]
    return sorted(set(labels))


@dataclass
class Scale:
    documents: int
    events: int
    people: int
    groups: int
    orgs: int
    heavy_groups: int = 40
    seed: int = 42


@dataclass
class Network:
    org_ids: list[int] = field(default_factory=list)
    org_country: dict[int, str] = field(default_factory=dict)
    user_ids: list[int] = field(default_factory=list)
    user_org: dict[int, int] = field(default_factory=dict)
    user_name: dict[int, str] = field(default_factory=dict)
    group_ids: list[int] = field(default_factory=list)
    heavy_id: int = 0
    auditor_id: int = 0


class Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite, values adapted per engine."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor

    def dt(self, value: dt.datetime) -> str:
        if self.vendor == "postgresql":
            return value.isoformat(sep=" ")
        # Django keeps naive UTC text in SQLite (USE_TZ).
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        self.connection.ensure_connection()
        raw = self.connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cursor = raw.cursor()
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
        return count

    def next_id(self, table: str) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return int(cursor.fetchone()[0]) + 1

    def reset_sequences(self, models: Iterable[Any]) -> None:
        if self.vendor != "postgresql":
            return
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            for sql in self.connection.ops.sequence_reset_sql(no_style(), list(models)):
                cursor.execute(sql)


def chunked(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


class Generator:
    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self.rng = random.Random(scale.seed)
        self.w = Writer()
        self.net = Network()
        self.now = dt.datetime.now(dt.UTC)

    # --- the network ------------------------------------------------------------------------------
    def network(self) -> None:
        from django.db import transaction

        from enlets.network.models import Country, GroupMembership, InterestGroup, Organisation, User

        s, rng, w, net = self.scale, self.rng, self.w, self.net
        countries = list(Country.objects.order_by("code").values_list("code", flat=True))
        kinds = ["law_enforcement"] * 6 + ["ministry", "eu_body", "research", "industry", "university"]
        with transaction.atomic():
            first = w.next_id("network_organisation")
            rows = []
            for i in range(s.orgs):
                pk, code = first + i, countries[i % len(countries)]
                net.org_ids.append(pk)
                net.org_country[pk] = code
                rows.append(
                    (
                        pk,
                        f"Bench organisation {pk} ({code})",
                        f"BO{pk}",
                        rng.choice(kinds),
                        code,
                        "",
                        "",
                        w.dt(self.now),
                    )
                )
            w.insert(
                "network_organisation",
                ["id", "name", "short_name", "kind", "country_id", "website", "description", "created_at"],
                rows,
            )
            nl_org = next((pk for pk in net.org_ids if net.org_country[pk] == "NL"), net.org_ids[0])

            first = w.next_id("network_user")
            roles, role_w = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
            rows = []
            for i in range(s.people):
                pk = first + i
                if i == 0:
                    name, role, org, vetted, active = "heavy", "member", nl_org, True, True
                elif i == 1:
                    name, role, org, vetted, active = "auditor", "core_group", nl_org, True, True
                else:
                    name, role = f"bench{pk}", rng.choices(roles, role_w)[0]
                    org, vetted, active = rng.choice(net.org_ids), rng.random() < 0.97, rng.random() < 0.98
                net.user_ids.append(pk)
                net.user_org[pk] = org
                net.user_name[pk] = name
                # "!" is Django's unusable password: no hashing cost, nobody signs in with it.
                rows.append(
                    (
                        pk,
                        "!",
                        None,
                        False,
                        name,
                        "Bench",
                        f"Person {pk}",
                        f"{name}@bench.example",
                        False,
                        active,
                        w.dt(self.now),
                        org,
                        role,
                        "",
                        "",
                        "",
                        "",
                        "",
                        w.dt(self.now) if vetted else None,
                        None,
                        None,
                    )
                )
            w.insert("network_user", [f.column for f in User._meta.concrete_fields], rows)
            net.heavy_id, net.auditor_id = net.user_ids[0], net.user_ids[1]

            first = w.next_id("network_interestgroup")
            rows = []
            for i in range(s.groups):
                pk = first + i
                net.group_ids.append(pk)
                rows.append((pk, f"Bench group {pk}", f"bench-group-{pk}", None, "", True, w.dt(self.now), None))
            w.insert("network_interestgroup", [f.column for f in InterestGroup._meta.concrete_fields], rows)

            # Memberships: most people in a few groups, the heavy member in many.
            first = w.next_id("network_groupmembership")
            rows, pk = [], first
            for user in net.user_ids:
                n = s.heavy_groups if user == net.heavy_id else rng.choice([0, 1, 1, 2, 3, 4])
                n = min(n, len(net.group_ids))
                for n_group, group in enumerate(rng.sample(net.group_ids, n)):
                    status = "approved" if user == net.heavy_id or rng.random() < 0.93 else "requested"
                    rows.append(
                        (
                            pk,
                            group,
                            user,
                            "chair" if n_group == 0 and rng.random() < 0.02 else "member",
                            status,
                            "",
                            w.dt(self.now),
                            None,
                            None,
                        )
                    )
                    pk += 1
            w.insert("network_groupmembership", [f.column for f in GroupMembership._meta.concrete_fields], rows)
            w.reset_sequences([Organisation, User, InterestGroup, GroupMembership])
        log(f"network: {s.orgs} organisations, {s.people} people, {s.groups} groups, {len(rows)} memberships")

    # --- documents --------------------------------------------------------------------------------
    def documents(self) -> None:
        from django.db import transaction

        from enlets.documents.models import Document, DocumentAccessLabel

        s, rng, w, net = self.scale, self.rng, self.w, self.net
        tlps, tlp_w = list(TLP_WEIGHTS), list(TLP_WEIGHTS.values())
        states, state_w = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
        through = {
            name: Document._meta.get_field(name).remote_field.through
            for name in (
                "co_authors",
                "audience_countries",
                "audience_organisations",
                "audience_groups",
                "audience_people",
            )
        }
        m2m_tables = {
            name: (t._meta.db_table, [f.column for f in t._meta.concrete_fields]) for name, t in through.items()
        }
        doc_columns = [f.column for f in Document._meta.concrete_fields]
        first = w.next_id("documents_document")
        label_pk = w.next_id("documents_documentaccesslabel")
        m2m_pk = {name: w.next_id(table) for name, (table, _) in m2m_tables.items()}
        span = 3 * 365 * 24 * 3600
        done, started = 0, time.monotonic()
        for chunk_start in range(0, s.documents, CHUNK):
            docs, labels = [], []
            m2m: dict[str, list[tuple[Any, ...]]] = {name: [] for name in m2m_tables}
            for pk in range(first + chunk_start, first + min(chunk_start + CHUNK, s.documents)):
                owner = rng.choice(net.user_ids)
                org = net.user_org[owner]
                tlp = rng.choices(tlps, tlp_w)[0]
                state = rng.choices(states, state_w)[0]
                space = rng.choice(("group", "group", "country", "personal"))
                group = rng.choice(net.group_ids) if space == "group" else None
                country = net.org_country[org] if space == "country" else None
                countries: list[str] = []
                orgs: list[int] = []
                groups: list[int] = []
                people: list[int] = []
                if tlp == "AMBER":
                    if group:
                        groups = [group]
                    elif country:
                        countries = [country]
                    else:
                        orgs = sorted({org, rng.choice(net.org_ids)})
                    if rng.random() < 0.2:
                        people = sorted(set(rng.sample(net.user_ids, 2)))
                elif tlp == "AMBER+STRICT":
                    orgs = sorted({org, rng.choice(net.org_ids)}) if rng.random() < 0.5 else [org]
                    if rng.random() < 0.3:
                        people = [rng.choice(net.user_ids)]
                elif tlp == "RED":
                    people = sorted(set(rng.sample(net.user_ids, rng.randint(1, 3))))
                updated = self.now - dt.timedelta(seconds=rng.randrange(span))
                created = updated - dt.timedelta(seconds=rng.randrange(30 * 24 * 3600))
                title = " ".join(rng.sample(WORDS, 4)).capitalize() + f" {pk}"
                docs.append(
                    (
                        pk,
                        owner,
                        org,
                        tlp,
                        state,
                        w.dt(created),
                        w.dt(updated),
                        title,
                        f"Summary of {title.lower()}",
                        f"## Findings\n\nBenchmark document {pk} about {' and '.join(rng.sample(WORDS, 3))}.\n",
                        space,
                        country,
                        group,
                    )
                )
                for label in labels_for(tlp, countries, orgs, groups, people):
                    labels.append((label_pk, label, pk))
                    label_pk += 1
                for name, values in (
                    ("audience_countries", countries),
                    ("audience_organisations", orgs),
                    ("audience_groups", groups),
                    ("audience_people", people),
                ):
                    for value in values:
                        m2m[name].append((m2m_pk[name], pk, value))
                        m2m_pk[name] += 1
                if rng.random() < 0.05:
                    co_author = rng.choice(net.user_ids)
                    if co_author != owner:
                        m2m["co_authors"].append((m2m_pk["co_authors"], pk, co_author))
                        m2m_pk["co_authors"] += 1
            with transaction.atomic():
                w.insert("documents_document", doc_columns, docs)
                w.insert("documents_documentaccesslabel", ["id", "label", "item_id"], labels)
                for name, rows in m2m.items():
                    table, columns = m2m_tables[name]
                    w.insert(table, columns, rows)
            done += len(docs)
            rate = done / max(time.monotonic() - started, 1e-9)
            log(f"documents: {done}/{s.documents} ({rate:,.0f}/s)")
        with transaction.atomic():
            w.reset_sequences([Document, DocumentAccessLabel, *through.values()])

    # --- audit events -------------------------------------------------------------------------------
    def events(self) -> None:
        from django.db import transaction

        from enlets.core import audit
        from enlets.core.models import AuditChainHead, AuditEvent

        s, rng, w, net = self.scale, self.rng, self.w, self.net
        if not s.events:
            return
        actions, action_w = list(ACTION_WEIGHTS), list(ACTION_WEIGHTS.values())
        columns = [f.column for f in AuditEvent._meta.concrete_fields]
        head, _ = AuditChainHead.objects.get_or_create(id=1)
        prev = head.last_hash
        last = AuditEvent.objects.order_by("-id").values_list("created_at", flat=True).first()
        # Events go after every existing one, one second or less apart, ending near now.
        start = max(last or self.now - dt.timedelta(days=1), self.now - dt.timedelta(seconds=s.events))
        step = dt.timedelta(seconds=1) * (((self.now - start).total_seconds() * 0.99) / s.events)
        doc_max = max(w.next_id("documents_document") - 1, 1)
        first = w.next_id("core_auditevent")
        done, started = 0, time.monotonic()
        moment = start
        tlps = list(TLP_WEIGHTS)
        for chunk_start in range(0, s.events, CHUNK):
            rows = []
            for pk in range(first + chunk_start, first + min(chunk_start + CHUNK, s.events)):
                moment = moment + step
                created = moment
                action = rng.choices(actions, action_w)[0]
                actor = rng.choice(net.user_ids)
                if action.startswith("documents."):
                    object_type, object_id = "documents.document", str(rng.randint(1, doc_max))
                    object_repr, tlp = f"Benchmark document {object_id}", rng.choice(tlps)
                    changes: dict[str, Any] = {"state": ["draft", "published"]} if action.endswith("update") else {}
                elif action.startswith("user.") or action.startswith("auth."):
                    object_type, object_id = "network.user", str(actor)
                    object_repr, tlp, changes = net.user_name[actor], "", {}
                else:
                    object_type, object_id, object_repr, tlp, changes = "network.groupmembership", str(pk), "", "", {}
                event = SimpleNamespace(
                    created_at=created,
                    actor_id=actor,
                    actor_name=net.user_name[actor],
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    object_repr=object_repr,
                    tlp=tlp,
                    ip_address=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    request_id=f"{rng.getrandbits(128):032x}",
                    changes=changes,
                )
                digest = audit.compute_hash(prev, audit.hashed_fields(event))
                rows.append(
                    (
                        pk,
                        w.dt(created),
                        actor,
                        event.actor_name,
                        action,
                        object_type,
                        object_id,
                        object_repr,
                        tlp,
                        event.ip_address,
                        event.request_id,
                        json.dumps(changes),
                        prev,
                        digest,
                    )
                )
                prev = digest
            assert columns == [
                "id",
                "created_at",
                "actor_id",
                "actor_name",
                "action",
                "object_type",
                "object_id",
                "object_repr",
                "tlp",
                "ip_address",
                "request_id",
                "changes",
                "prev_hash",
                "hash",
            ]
            with transaction.atomic():
                w.insert("core_auditevent", columns, rows)
                AuditChainHead.objects.filter(id=1).update(last_hash=prev)
            done += len(rows)
            log(f"audit events: {done}/{s.events} ({done / max(time.monotonic() - started, 1e-9):,.0f}/s)")
        with transaction.atomic():
            w.reset_sequences([AuditEvent])

    def analyse(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            # What autovacuum does soon after a load this size: statistics and, on PostgreSQL, the
            # visibility maps that let a count read an index alone (as bench/search_bench.py does).
            # VACUUM cannot run inside a transaction (the generator's tests run in one).
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")

    def run(self) -> Network:
        started = time.monotonic()
        self.network()
        self.documents()
        self.events()
        self.analyse()
        log(f"done in {time.monotonic() - started:.1f} s")
        return self.net


def fresh_database(database_url: str) -> None:
    """Drop and recreate the benchmark database (SQLite file or PostgreSQL database), then migrate."""
    import dj_database_url

    config = dj_database_url.parse(database_url)
    if config["ENGINE"].endswith("sqlite3"):
        path = Path(config["NAME"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        import psycopg

        name = config["NAME"]
        if not name.replace("_", "").isalnum() or not name.startswith("enlets_bench"):
            raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must start with enlets_bench")
        admin = psycopg.connect(
            host=config["HOST"],
            port=config["PORT"] or 5432,
            user=config["USER"],
            password=config["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.close()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


def sqlite_fast_load() -> None:
    """While loading only: no fsync per transaction (the file is thrown away if the load fails)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="database URL (default: $DATABASE_URL)")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--orgs", type=int, default=0, help="default: people / 40")
    parser.add_argument("--heavy-groups", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database, then migrate")
    args = parser.parse_args(argv)
    database_url = args.database or os.environ.get("DATABASE_URL")
    if not database_url:
        parser.error("give --database or set DATABASE_URL")
    if args.fresh:
        fresh_database(database_url)
    setup_django(database_url)
    migrate()
    sqlite_fast_load()
    scale = Scale(
        documents=args.documents,
        events=args.events,
        people=max(args.people, 2),
        groups=max(args.groups, 1),
        orgs=args.orgs or max(args.people // 40, 30),
        heavy_groups=args.heavy_groups,
        seed=args.seed,
    )
    log(f"filling {database_url.split('@')[-1]}: {scale}")
    Generator(scale).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- practices, for the search benchmark (bench/search_bench.py) ------------------------------------

PRACTICE_STATE_WEIGHTS = {
    "published": 80,
    "archived": 5,
    "draft": 7,
    "submitted": 2,
    "in_review": 3,
    "changes_requested": 2,
    "rejected": 1,
}
# Domain words first (the frequent ones), then general ones: text is drawn with Zipf weights over
# this list, so a word's rank sets how many items it is in (the benchmark picks its query words by rank).
SEARCH_VOCABULARY = (  # noqa: SIM905 - a readable word list
    "police system data camera operational officers vehicle national evidence network analysis "
    "border control detection drone surveillance investigation platform training procurement crime "
    "intelligence mobile digital forensic traffic cyber public safety response interoperability radio "
    "europe agency ministry regional cross team pilot trial evaluation requirement standard secure "
    "cloud storage encryption biometric identification fingerprint facial recognition licence plate anpr "
    "osint sigint interception warrant court prosecutor victim witness suspect custody patrol emergency "
    "dispatch command room incident map location tracking sensor radar jamming thermal imaging night "
    "vision body worn video audio transcription translation language social media monitoring open source "
    "dark web marketplace cryptocurrency wallet blockchain tracing money laundering fraud payment card "
    "phishing ransomware malware botnet infrastructure critical energy port airport railway maritime "
    "vessel container cargo customs smuggling trafficking firearms explosives drugs narcotics laboratory "
    "sample dna toxicology ballistic vest helmet shield vehicle stopping spike strip pursuit motorway "
    "highway junction checkpoint roadside inspection weighbridge tachograph truck lorry bus taxi bicycle "
    "pedestrian crowd event stadium festival protest demonstration riot public order horse dog unit "
    "canine tactical firearms negotiator hostage terrorism radicalisation prevention community liaison "
    "youth school outreach awareness campaign helpline reporting portal app smartphone tablet laptop "
    "workstation server database query dashboard analytics machine learning model algorithm bias audit "
    "privacy protection impact assessment legal basis retention deletion access log oversight complaint "
    "budget cost funding grant tender contract supplier vendor market survey specification lessons "
    "learned transferability adoption rollout scaling maintenance support helpdesk upgrade migration legacy"
).split()


def _zipf_sampler(rng: random.Random, words: Sequence[str]) -> Any:
    from itertools import accumulate

    cum = list(accumulate(1.0 / (rank + 1) for rank in range(len(words))))

    def draw(k: int) -> list[str]:
        return rng.choices(words, cum_weights=cum, k=k)

    return draw


def _sentence_pool(rng: random.Random, size: int = 6000) -> list[str]:
    """Sentences of Zipf-drawn words; fields are made of a few of them (cheap for a million items)."""
    draw = _zipf_sampler(rng, SEARCH_VOCABULARY)
    pool = []
    for _ in range(size):
        words = draw(rng.randint(6, 14))
        pool.append(" ".join(words).capitalize() + ".")
    return pool


def practice_topics(gen: Generator, extra: int = 25, summary_slug: str = "bench-summary") -> dict[str, Any]:
    """The seeded EDBP topics plus `extra` generated ones (each with a reviewer), and the topic the
    summary PDF is measured on. Returns {"ids": [...], "slugs": {id: slug}, "summary": id}."""
    from django.db import transaction

    from enlets.practices.models import Topic

    rng, net = gen.rng, gen.net
    with transaction.atomic():
        for i in range(extra):
            topic, _ = Topic.objects.get_or_create(
                slug=f"bench-topic-{i + 1:02d}", defaults={"name": f"Bench topic {i + 1:02d}"}
            )
            topic.reviewers.set(rng.sample(net.user_ids[2:], 2))
        summary, _ = Topic.objects.get_or_create(slug=summary_slug, defaults={"name": "Bench summary topic"})
        summary.reviewers.set([net.user_ids[2]])
    slugs = dict(Topic.objects.exclude(pk=summary.pk).values_list("pk", "slug"))
    return {"ids": sorted(slugs), "slugs": slugs, "summary": summary.pk}


def practices(gen: Generator, count: int, topics: dict[str, Any], summary_size: int = 200, markup: bool = True) -> int:
    """`count` practices with topics, countries, labels and text, by COPY (PostgreSQL) or executemany.

    The first `summary_size` are published GREEN practices of the summary topic too. Labels follow
    the same rule as documents (labels_for). With `markup`, two of the Markdown fields carry markup
    (emphasis, a heading, a list), so indexing pays for the Markdown renderer as real text does;
    without, every field is plain prose. Returns the number written."""
    import uuid

    from django.db import transaction

    from enlets.practices.models import Practice, PracticeAccessLabel

    rng, w, net = gen.rng, gen.w, gen.net
    pool = _sentence_pool(rng)
    tlps, tlp_w = list(TLP_WEIGHTS), list(TLP_WEIGHTS.values())
    states, state_w = list(PRACTICE_STATE_WEIGHTS), list(PRACTICE_STATE_WEIGHTS.values())
    # The five seeded EDBP topics are the busy ones.
    topic_ids = topics["ids"]
    topic_w = [
        6 if topics["slugs"][t] in ("anpr", "osint", "sigint", "surveillance", "front-line-policing") else 1
        for t in topic_ids
    ]
    country_codes = sorted(set(net.org_country.values()))
    columns = [f.column for f in Practice._meta.concrete_fields]
    names = (
        "co_authors",
        "audience_countries",
        "audience_organisations",
        "audience_groups",
        "audience_people",
        "topics",
        "countries",
        "organisations",
        "contacts",
    )
    through = {name: Practice._meta.get_field(name).remote_field.through for name in names}
    m2m_tables = {name: (t._meta.db_table, [f.column for f in t._meta.concrete_fields]) for name, t in through.items()}
    first = w.next_id("practices_practice")
    label_pk = w.next_id("practices_practiceaccesslabel")
    m2m_pk = {name: w.next_id(table) for name, (table, _) in m2m_tables.items()}
    span = 3 * 365 * 24 * 3600
    done, started = 0, time.monotonic()

    def text(n: int) -> str:
        return " ".join(rng.choice(pool) for _ in range(n))

    for chunk_start in range(0, count, CHUNK):
        rows, labels = [], []
        m2m: dict[str, list[tuple[Any, ...]]] = {name: [] for name in m2m_tables}
        for pk in range(first + chunk_start, first + min(chunk_start + CHUNK, count)):
            n = pk - first
            owner = rng.choice(net.user_ids)
            org = net.user_org[owner]
            tlp = rng.choices(tlps, tlp_w)[0]
            state = rng.choices(states, state_w)[0]
            in_summary = n < summary_size
            if in_summary:
                tlp, state = "GREEN", "published"
            countries: list[str] = []
            orgs: list[int] = []
            groups: list[int] = []
            people: list[int] = []
            if tlp == "AMBER":
                choice = rng.random()
                if choice < 0.4:
                    groups = [rng.choice(net.group_ids)]
                elif choice < 0.7:
                    countries = [net.org_country[org]]
                else:
                    orgs = sorted({org, rng.choice(net.org_ids)})
                if rng.random() < 0.2:
                    people = sorted(set(rng.sample(net.user_ids, 2)))
            elif tlp == "AMBER+STRICT":
                orgs = sorted({org, rng.choice(net.org_ids)}) if rng.random() < 0.5 else [org]
            elif tlp == "RED":
                people = sorted(set(rng.sample(net.user_ids, rng.randint(1, 3))))
            updated = gen.now - dt.timedelta(seconds=rng.randrange(span))
            created = updated - dt.timedelta(seconds=rng.randrange(90 * 24 * 3600))
            released = state in ("published", "archived")
            start = (updated - dt.timedelta(days=rng.randrange(2000))).date()
            title = " ".join(rng.sample(SEARCH_VOCABULARY[:120], 3)).capitalize() + f" practice {pk}"
            values = {
                "id": pk,
                "owner_id": owner,
                "owner_organisation_id": org,
                "tlp": tlp,
                "state": state,
                "created_at": w.dt(created),
                "updated_at": w.dt(updated),
                "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "title": title,
                "summary": text(2),
                # The vocabulary is English; other languages are covered by tests, not measured here.
                "language": "en",
                "problem": f"The **operational problem**: {text(2)}" if markup else text(2),
                "solution": f"## Solution\n\n{text(3)}\n\n- {text(1)}\n" if markup else f"{text(3)}\n\n{text(1)}",
                "technology": " ".join(rng.sample(SEARCH_VOCABULARY[:200], 3)),
                "implementation_start": start.isoformat(),
                "implementation_end": None,
                "cost_band": rng.choice(["", "under_50k", "50k_250k", "250k_1m", "1m_5m"]),
                "staffing": "",
                "procurement_route": "",
                "implementation": text(1),
                "results": text(2),
                "lessons": text(2),
                "legal_basis": "",
                "dpia": "",
                "fundamental_rights": "",
                "transferability": text(1),
                "contact_note": "",
                "public_teaser": "",
                "published_at": w.dt(updated) if released else None,
                "submitted_at": w.dt(created) if state != "draft" else None,
                "revision_number": 1 if released else 0,
            }
            rows.append([values[c] for c in columns])
            for label in labels_for(tlp, countries, orgs, groups, people):
                labels.append((label_pk, label, pk))
                label_pk += 1
            chosen_topics = set(rng.choices(topic_ids, topic_w, k=rng.randint(1, 3)))
            if in_summary:
                chosen_topics.add(topics["summary"])
            involved = {net.org_country[org], *rng.sample(country_codes, rng.choice([0, 0, 1, 2]))}
            for name, values_ in (
                ("audience_countries", countries),
                ("audience_organisations", orgs),
                ("audience_groups", groups),
                ("audience_people", people),
                ("topics", sorted(chosen_topics)),
                ("countries", sorted(involved)),
                ("organisations", [org]),
                ("contacts", [owner]),
            ):
                for value in values_:
                    m2m[name].append((m2m_pk[name], pk, value))
                    m2m_pk[name] += 1
            if rng.random() < 0.05:
                co_author = rng.choice(net.user_ids)
                if co_author != owner:
                    m2m["co_authors"].append((m2m_pk["co_authors"], pk, co_author))
                    m2m_pk["co_authors"] += 1
        with transaction.atomic():
            w.insert("practices_practice", columns, rows)
            w.insert("practices_practiceaccesslabel", ["id", "label", "item_id"], labels)
            for name, m2m_rows in m2m.items():
                table, m2m_columns = m2m_tables[name]
                w.insert(table, m2m_columns, m2m_rows)
        done += len(rows)
        log(f"practices: {done}/{count} ({done / max(time.monotonic() - started, 1e-9):,.0f}/s)")
    with transaction.atomic():
        w.reset_sequences([Practice, PracticeAccessLabel, *through.values()])
    return done
