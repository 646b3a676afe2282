"""Topic pages: the list, a topic's page, and its management (create, edit, merge, retire).

Topics are public reference data, so anonymous visitors see the list and the topic pages; what is
secret is in the practices, which are always counted and listed through
`Practice.objects.visible_to(user)` (a count never reveals a practice its reader may not see).
Only actions.can_manage_topics people see the management buttons and may use them (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from enlets.core.errors import ActionError, NotAllowed
from enlets.core.forms import add_action_errors
from enlets.core.listing import paginate
from enlets.practices import actions
from enlets.practices.models import Practice, Subscription, Topic
from enlets.practices.topic_forms import TopicForm, TopicMergeForm


def _visible_published_counts(user: Any) -> dict[int, int]:
    """Published practices per topic, counting only those `user` may see."""
    visible = Practice.objects.visible_to(user).published().values("pk")
    rows = (
        Practice.topics.through.objects.filter(practice_id__in=visible)  # access: only visible practices
        .values("topic_id")
        .annotate(n=Count("practice_id"))
        .order_by()
    )
    return {row["topic_id"]: row["n"] for row in rows}


def topic_list(request: HttpRequest) -> HttpResponse:
    counts = _visible_published_counts(request.user)
    topics = list(Topic.objects.select_related("lead_country", "merged_into"))  # access: topics are public
    for topic in topics:
        topic.practice_count = counts.get(topic.pk, 0)
    return render(
        request,
        "practices/topic_list.html",
        {
            "active_topics": [t for t in topics if t.is_active],
            "retired_topics": [t for t in topics if not t.is_active],
            "can_manage": actions.can_manage_topics(request.user),
        },
    )


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic.objects.select_related("lead_country"), slug=slug)  # access: topics are public
    if topic.merged_into_id:
        # A merged topic lives on as its target: old links keep working.
        return HttpResponsePermanentRedirect(topic.final().get_absolute_url())
    practices = (
        Practice.objects.visible_to(request.user)
        .published()
        .filter(topics=topic)
        .select_related("owner_organisation__country")
        .order_by("-published_at", "-id")
    )
    page = paginate(request, practices, per_page=20)
    signed_in = request.user.is_authenticated
    return render(
        request,
        "practices/topic_detail.html",
        {
            **page.context(),
            "topic": topic,
            # People's names are for the network's members, not for anonymous visitors.
            "reviewers": topic.reviewers.filter(is_active=True).select_related("organisation") if signed_in else [],
            "merged_from": Topic.objects.filter(merged_into=topic).order_by("name"),  # access: public
            "can_manage": actions.can_manage_topics(request.user),
        },
    )


def _manager_or_403(request: HttpRequest) -> None:
    if not actions.can_manage_topics(request.user):
        raise PermissionDenied("Only the Core Group and the Secretariat manage topics.")


@login_required
@require_http_methods(["GET", "POST"])
def topic_create(request: HttpRequest) -> HttpResponse:
    _manager_or_403(request)
    form = TopicForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = actions.do_create_topic(
                request.user,
                name=data["name"],
                slug=data.get("slug") or "",
                description=data["description"],
                lead_country=data["lead_country"],
                reviewers=list(data["reviewers"]),
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        except ActionError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, f"Topic {topic.name} created.")
            return redirect(topic)
    return render(request, "practices/topic_form.html", {"form": form, "topic": None})


def _managed_topic(request: HttpRequest, slug: str) -> Topic:
    _manager_or_403(request)
    return get_object_or_404(Topic, slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, slug: str) -> HttpResponse:
    topic = _managed_topic(request, slug)
    form = TopicForm(request.POST if request.method == "POST" else None, topic=topic)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = actions.do_update_topic(
                request.user,
                topic,
                name=data["name"],
                description=data["description"],
                lead_country=data["lead_country"],
                reviewers=list(data["reviewers"]),
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        except ActionError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, f"Topic {topic.name} saved.")
            return redirect(topic)
    return render(request, "practices/topic_form.html", {"form": form, "topic": topic})


@login_required
@require_http_methods(["GET", "POST"])
def topic_merge(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose the target, then confirm on a second page that says what moves."""
    source = _managed_topic(request, slug)
    if source.merged_into_id:
        messages.info(request, f"{source.name} is already merged into {source.final().name}.")
        return redirect(source.final())
    form = TopicMergeForm(request.POST if request.method == "POST" else None, source=source)
    confirm = False
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        if request.POST.get("confirm") == "yes":
            try:
                actions.do_merge_topics(request.user, source, target)
            except NotAllowed as error:
                raise PermissionDenied(error.message) from error
            except ActionError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, f"{source.name} was merged into {target.name}.")
                return redirect(target)
        else:
            confirm = True
    return render(
        request,
        "practices/topic_merge.html",
        {
            "topic": source,
            "form": form,
            "confirm": confirm,
            "target": form.cleaned_data.get("target") if confirm else None,
            # Counts of every practice (not only visible ones) would leak: managers see what they may see.
            "practice_count": Practice.objects.visible_to(request.user).filter(topics=source).count(),
            "reviewer_count": source.reviewers.count(),
            "subscription_count": Subscription.objects.filter(topic=source).count(),  # access: a number
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_retire(request: HttpRequest, slug: str) -> HttpResponse:
    """Retire an active topic or reactivate a retired one, after a confirmation page."""
    topic = _managed_topic(request, slug)
    error_message = ""
    if request.method == "POST":
        try:
            if topic.is_active:
                actions.do_retire_topic(request.user, topic)
                messages.success(request, f"{topic.name} is retired: it takes no new practices.")
            else:
                actions.do_reactivate_topic(request.user, topic)
                messages.success(request, f"{topic.name} is active again.")
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        except ActionError as error:
            error_message = error.message
        else:
            return redirect(topic.final())
    return render(
        request,
        "practices/topic_retire.html",
        {"topic": topic, "error_message": error_message},
        status=400 if error_message else 200,
    )
