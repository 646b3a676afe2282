"""Forms of the topic pages (create, edit, merge). Checks that need the database (unique names,
active reviewers, merge loops) are the actions' job; their errors land on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from enlets.network.models import COMMUNITY_ROLES, Country, User
from enlets.practices.models import Topic


def reviewer_candidates() -> Any:
    """Active, vetted community members (actions._clean_topic refuses anyone else)."""
    people = User.objects.filter(is_active=True, vetted_at__isnull=False, role__in=COMMUNITY_ROLES)
    return people.select_related("organisation").order_by("last_name", "first_name", "username")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        country = obj.organisation.country_id if obj.organisation_id else ""
        return f"{obj.display_name} ({obj.organisation}{', ' + country if country else ''})"


class TopicForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    slug = forms.SlugField(
        label="Short name in the address",
        max_length=60,
        required=False,
        help_text="Letters, digits and hyphens, e.g. anpr. Left empty, it is made from the name. "
        "It never changes afterwards, so links keep working after a rename.",
    )
    description = forms.CharField(
        label="Description (Markdown)", widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    lead_country = forms.ModelChoiceField(
        label="Lead country", queryset=Country.objects.all(), required=False, empty_label="None"
    )
    reviewers = PersonChoiceField(
        label="Reviewers",
        queryset=User.objects.none(),
        required=False,
        help_text="They review the practices submitted under this topic. Hold Ctrl (⌘ on a Mac) to choose several.",
    )

    def __init__(self, *args: Any, topic: Topic | None = None, **kwargs: Any) -> None:
        self.topic = topic
        if topic is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": topic.name,
                    "description": topic.description,
                    "lead_country": topic.lead_country_id,
                    "reviewers": list(topic.reviewers.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        candidates = reviewer_candidates()
        if topic is not None:
            # Keep current reviewers selectable even if they no longer qualify, so the form shows them.
            candidates = User.objects.filter(Q(pk__in=candidates.values("pk")) | Q(pk__in=topic.reviewers.values("pk")))
            candidates = candidates.select_related("organisation").order_by("last_name", "first_name", "username")
            del self.fields["slug"]  # the address is stable
        self.fields["reviewers"].queryset = candidates


class TopicMergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label="Merge into",
        queryset=Topic.objects.none(),
        help_text="Its practices, reviewers and subscriptions move there; this topic's address leads there.",
    )

    def __init__(self, *args: Any, source: Topic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["target"].queryset = Topic.objects.filter(state=Topic.State.ACTIVE).exclude(pk=source.pk)
