"""Background tasks that keep the index current. Enqueued only after the write commits, so a
rolled-back change never reaches the index; the task reads the item afresh from the database,
so it always indexes the committed state (and deletes what is gone)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

from enlets.core.context import in_bulk_load
from enlets.search import backend, registry
from enlets.search.base import forget_pending_check, prefetch_for_index


@task()
def reindex_item(model_key: str, pk: int) -> str:
    model = registry.get_model(model_key)
    if model is None:
        return "not searchable"
    item = prefetch_for_index(model.objects.filter(pk=pk)).first()  # access: indexing, labels go with it
    if item is None:
        backend().delete(model, [pk])
        return "deleted"
    backend().index([item])
    return "indexed"


def index_later(item: Any) -> None:
    """Call inside the action's transaction: after commit, (re)index the item or drop it if deleted."""
    model = type(item)
    if model not in registry.searchable_models() or in_bulk_load():
        return
    key, pk = registry.model_key(model), item.pk
    transaction.on_commit(lambda: _enqueue(reindex_item, model_key=key, pk=pk))


def _enqueue(task: Any, **kwargs: Any) -> None:
    task.enqueue(**kwargs)
    forget_pending_check()


def delete_later(model: type, pk: int) -> None:
    if model not in registry.searchable_models():
        return
    key = registry.model_key(model)
    transaction.on_commit(lambda: _enqueue(reindex_item, model_key=key, pk=pk))


@task()
def reindex_items(model_key: str, pks: list[int]) -> int:
    """Bulk form, for writes that change many items at once (an ownership transfer)."""
    model = registry.get_model(model_key)
    if model is None:
        return 0
    items = list(prefetch_for_index(model.objects.filter(pk__in=pks)))  # access: indexing, labels go with it
    gone = set(pks) - {item.pk for item in items}
    if gone:
        backend().delete(model, gone)
    return backend().index(items)


def index_many_later(model: type, pks: list[int]) -> None:
    """Like index_later, for a bulk update (collect the pks before the update)."""
    if model not in registry.searchable_models() or not pks or in_bulk_load():
        return
    key, pks = registry.model_key(model), list(pks)
    transaction.on_commit(lambda: _enqueue(reindex_items, model_key=key, pks=pks))
