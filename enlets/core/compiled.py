"""Statements compiled once and run again: by the ORM (querysets compiled once per thread and
database, then run with a new value) and by PostgreSQL (`run_prepared`).

For a look-up on every request's path: building and compiling a queryset with `select_related`
costs Django about 0.8 ms of Python, four times the database's own work for a row found by a unique
key (the API token look-up: docs/performance.md, change 19). The statement is compiled for a marker
value, and each call puts the real value in the marker's place among the parameters and runs it;
the rows become model instances the way `QuerySet.__iter__` makes them (converters, related objects
from `select_related`, annotations), so callers get what the queryset would have given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections, models, router
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=models.Model)


class CompiledQuery(Generic[M]):
    """`build(value)` -> the queryset of `model` for `value`; `.fetch(value)` runs it without
    compiling it again."""

    def __init__(self, model: type[M], build: Callable[[Any], models.QuerySet[M]], marker: Any) -> None:
        self.model = model
        self.build = build
        # A value no real call passes (a hash of the wrong length, say): its place among the
        # compiled statement's parameters is where each call's value goes.
        self.marker = marker
        # Per thread: a compiler belongs to the connection it was made with, and connections are
        # per thread in Django.
        self._local = threading.local()

    def _compiled(self, alias: str) -> tuple[SQLCompiler, str, tuple[Any, ...], int]:
        by_alias: dict[str, Any] = self._local.__dict__.setdefault("by_alias", {})
        compiled = by_alias.get(alias)
        if compiled is None:
            compiler = self.build(self.marker).using(alias).query.get_compiler(alias)
            sql, params = compiler.as_sql()
            places = [position for position, param in enumerate(params) if param == self.marker]
            if len(places) != 1:
                raise ValueError("The marker value must be exactly one of the statement's parameters.")
            compiled = by_alias[alias] = (compiler, sql, tuple(params), places[0])
        return compiled

    def fetch(self, value: Any) -> list[M]:
        alias = router.db_for_read(self.model)
        compiler, sql, template, place = self._compiled(alias)
        params = list(template)
        params[place] = value
        rows = run_prepared(alias, sql, params)
        # As django.db.models.query.ModelIterable does with the rows of its own compiler.
        klass_info = compiler.klass_info
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [column[0].target.attname for column in compiler.select[start:end]]
        populators = get_related_populators(klass_info, compiler.select, alias)
        objects = []
        for row in compiler.results_iter([rows]):
            obj = klass_info["model"].from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in compiler.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def run_prepared(alias: str, sql: str, params: list[Any] | tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The rows of `sql`, a statement of the few every request runs whose plan does not depend on
    its values (a look-up by key): on PostgreSQL it is prepared on the connection the first time, and
    later runs skip the parsing and planning (the search's re-check of a page of hits: 1.2-1.3 ms,
    prepared 0.4-0.5 ms; docs/performance.md, change 20). Only these: a statement whose best plan
    depends on its values (a full-text search, a filtered list) must be planned for each run, as
    Django does by default. settings.DATABASE_PREPARED_STATEMENTS off (PgBouncer in transaction
    mode) prepares nothing."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        raw = connection.connection
        if not settings.DATABASE_PREPARED_STATEMENTS or connection.vendor != "postgresql" or raw is None:
            cursor.execute(sql, params)
            return cursor.fetchall()
        # psycopg prepares what runs while the threshold is 0 and reuses it when it meets the same
        # statement again under it; at None (Django's default, restored after) it prepares nothing.
        previous, raw.prepare_threshold = raw.prepare_threshold, 0
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            raw.prepare_threshold = previous
