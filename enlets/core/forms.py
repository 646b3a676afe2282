"""Form pieces every app uses, and the audit browser's filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from enlets.core.errors import ActionError
from enlets.core.models import TLP, AuditEvent


def add_action_errors(form: forms.Form, error: ActionError, field_map: dict[str, str] | None = None) -> None:
    """Show an action's field errors next to the fields; anything else at the top of the form."""
    field_map = field_map or {}
    placed = False
    for name, messages in error.field_errors.items():
        target = field_map.get(name, name)
        if target in form.fields:
            for message in messages:
                form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def matching_actions(prefix: str, limit: int = 20) -> list[str] | None:
    """The distinct actions that start with `prefix`, found by index seeks (SQLite only), or None.

    SQLite cannot use an index for LIKE 'x%', so a rare action would mean a full scan; with its
    byte-wise (BINARY) collation the range [prefix, prefix + U+10FFFF) is exactly "starts with" and
    each seek is one index lookup. PostgreSQL uses its own pattern index for LIKE: None there.
    """
    if connection.vendor != "sqlite" or not prefix:
        return None
    found: list[str] = []
    upper = prefix + "\U0010ffff"
    while len(found) <= limit:
        # One bound each side (not `>= prefix` as well), so SQLite starts the index range right after the last one.
        lower = {"action__gt": found[-1]} if found else {"action__gte": prefix}
        query = AuditEvent.objects.filter(action__lt=upper, **lower)
        following = query.order_by("action").values_list("action", flat=True).first()
        if following is None:
            return found
        found.append(following)
    return None


class AuditFilterForm(forms.Form):
    """Filters of the audit browser and its CSV export. Each one maps onto an indexed column where it can,
    so a filtered page stays fast at millions of events (see the keyset pagination in core.views)."""

    actor = forms.CharField(label="Actor (username)", required=False, max_length=150)
    action = forms.CharField(
        label="Action starts with",
        required=False,
        max_length=60,
        help_text="For example documents.document or network.",
    )
    object_type = forms.CharField(
        label="Object type",
        required=False,
        max_length=60,
        help_text="A model label, e.g. documents.document or network.user.",
    )
    object_id = forms.CharField(label="Object id", required=False, max_length=64)
    tlp = forms.ChoiceField(label="Marking", required=False, choices=[("", "Any"), *TLP.choices])
    date_from = forms.DateField(label="From (date)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(
        label="To (date, inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    request_id = forms.CharField(label="Request id", required=False, max_length=64)

    FILTER_NAMES = ("actor", "action", "object_type", "object_id", "tlp", "date_from", "date_to", "request_id")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def active_filters(self) -> dict[str, str]:
        """The filters in use, as strings (recorded with an export, shown on the page)."""
        if not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in ("", None)}

    def filter(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if not self.is_valid():
            # Invalid filters must not widen to "everything" silently: the page shows the errors, no rows.
            return queryset.none()
        data = self.cleaned_data
        if data["actor"]:
            from enlets.network.models import User

            name = data["actor"].strip()
            user_id = User.objects.filter(username__iexact=name).values_list("pk", flat=True).first()
            # By id where the person exists (indexed with -id); by the recorded name otherwise.
            queryset = queryset.filter(actor_id=user_id) if user_id else queryset.filter(actor_name=name)
        if data["action"]:
            prefix = data["action"].strip()
            actions = matching_actions(prefix)
            if actions == []:
                return queryset.none()
            if actions is not None and len(actions) == 1:
                # One action only: equality walks the (action, -id) index in order, where a LIKE
                # would scan the whole table for a rare action.
                queryset = queryset.filter(action=actions[0])
            else:
                queryset = queryset.filter(action__startswith=prefix)
        if data["object_type"]:
            queryset = queryset.filter(object_type=data["object_type"].strip().lower())
        if data["object_id"]:
            queryset = queryset.filter(object_id=data["object_id"].strip())
        if data["tlp"]:
            queryset = queryset.filter(tlp=data["tlp"])
        # Dates become an id range too: audit.record never lets time run backwards along the ids, so the
        # first event at or after the start and the last one before the end bound the ids exactly, and
        # the page walks the primary key inside that range instead of scanning from the newest event.
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz)
            first_id = (
                AuditEvent.objects.filter(created_at__gte=start)
                .order_by("created_at", "id")
                .values_list("id", flat=True)
                .first()
            )
            if first_id is None:
                return queryset.none()
            queryset = queryset.filter(created_at__gte=start, id__gte=first_id)
        if data["date_to"]:
            end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            last_id = (
                AuditEvent.objects.filter(created_at__lt=end)
                .order_by("-created_at", "-id")
                .values_list("id", flat=True)
                .first()
            )
            if last_id is None:
                return queryset.none()
            queryset = queryset.filter(created_at__lt=end, id__lte=last_id)
        if data["request_id"]:
            queryset = queryset.filter(request_id=data["request_id"].strip())
        return queryset
