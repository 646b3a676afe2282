"""Pages of the best-practice exchange: the list, a practice, its form (with preview and saving as
you go), its files, and its revisions with their diffs.

Thin: visibility via `Practice.objects.visible_to` / `get_visible_or_404`, every write through
enlets.practices.actions. The review, adoption and comment pages are in discussion_views.py, topics
in topic_views.py; the practice page includes their partials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from enlets.core import markdown as md
from enlets.core.errors import ActionError
from enlets.core.forms import add_action_errors
from enlets.core.listing import paginate
from enlets.core.models import TLP
from enlets.core.shared import get_visible_or_404, serve_attachment
from enlets.core.uploads import save_form_with_files
from enlets.network.models import Country, Organisation
from enlets.practices import actions, workflow
from enlets.practices.diff import MARKDOWN_FIELDS, content_rows, diff_content, visible_revisions
from enlets.practices.filters import SORT_LABELS, PracticeFilters, order
from enlets.practices.forms import PracticeForm
from enlets.practices.models import Adoption, Comment, Practice, PracticeAttachment, PracticeRevision, Review, Topic
from enlets.search.languages import Language

__all__ = [
    "attachment_remove",
    "markdown_preview",
    "practice_attachment",
    "practice_create",
    "practice_delete",
    "practice_detail",
    "practice_edit",
    "practice_list",
    "revision_detail",
    "revision_diff",
    "revision_list",
    "visible_revisions",
]

RELATED_LIMIT = 5
AUTOSAVE_HEADER = "X-Autosave"


def state_label(practice: Practice) -> str:
    """The state in words. (SharedItem.state has no choices, so Django adds no get_state_display.)"""
    try:
        return Practice.State(practice.state).label
    except ValueError:
        return practice.state


def _sign_in_unless_visible(request: HttpRequest, pk: int) -> HttpResponse | None:
    """Anonymous visitors see CLEAR practices; for anything else they are asked to sign in (the
    same answer whether the practice exists or not, so nothing leaks)."""
    if request.user.is_authenticated or Practice.objects.visible_to(request.user).filter(pk=pk).exists():
        return None
    return redirect_to_login(request.get_full_path())


# --- The list ---------------------------------------------------------------------------------------


def practice_list(request: HttpRequest) -> HttpResponse:
    """Public: anonymous visitors get the CLEAR published practices (DESIGN.md)."""
    filters = PracticeFilters.parse(request.GET)
    # No join to the owner's organisation (the list does not show it): under the filters that read
    # their practices' ids first (`pk_among`), PostgreSQL guessed a handful of rows and joined the
    # organisations in a nested loop over every candidate (the page's query took 345 ms at a million
    # practices; docs/performance.md, "Practice list by topic and country").
    queryset = filters.apply(Practice.objects.visible_to(request.user), request.user)
    if not filters.state:
        # Archived practices left the collection (workflow "archive"); they are listed only on request.
        queryset = queryset.exclude(state=Practice.State.ARCHIVED)
    queryset, sort = order(queryset, request.GET.get("sort"))
    page = paginate(request, queryset.prefetch_related("topics", "countries"))
    for practice in page.object_list:
        practice.state_label = state_label(practice)
    active = filters.active()
    export_query = urlencode({**active, "sort": sort})
    return render(
        request,
        "practices/list.html",
        {
            **page.context(),
            "filters": filters,
            "active_filters": active,
            "export_query": export_query,
            "sort": sort,
            "sorts": SORT_LABELS,
            # Topics, countries and organisations are public reference data (their names are no secret).
            "topics": Topic.objects.filter(state=Topic.State.ACTIVE),  # access: topics are public
            "countries": Country.objects.all(),  # access: public reference data
            "organisations": Organisation.objects.select_related("country").order_by("name"),
            "tlps": TLP.choices,
            "states": Practice.State.choices,
            "languages": Language.choices,
            "can_create": actions.can_create(request.user),
        },
    )


# --- One practice -----------------------------------------------------------------------------------


def _teaser(request: HttpRequest, pk: int) -> HttpResponse | None:
    """The public teaser of a published practice the reader may not see, if its authors wrote one:
    a CLEAR abstract by their choice, shown to anyone (the details stay hidden)."""
    practice = (
        Practice.objects.filter(pk=pk, state=Practice.State.PUBLISHED)  # access: only the CLEAR teaser is shown
        .exclude(public_teaser="")
        .first()
    )
    if practice is None:
        return None
    return render(
        request,
        "practices/teaser.html",
        {
            "practice": practice,
            "topics": practice.topics.all(),
            "countries": practice.countries.all(),
        },
    )


def _related(user: Any, practice: Practice) -> list[Practice]:
    """Published practices on the same topics that `user` may see, newest first."""
    topic_ids = list(practice.topics.values_list("pk", flat=True))
    if not topic_ids:
        return []
    same_topics = Practice.topics.through.objects.filter(topic_id__in=topic_ids)  # access: narrows visible_to
    same_topics = same_topics.values("practice_id")
    related = (
        Practice.objects.visible_to(user)
        .published()
        .filter(pk__in=same_topics)
        .exclude(pk=practice.pk)
        .order_by("-published_at", "-pk")
    )
    return list(related[:RELATED_LIMIT])


def practice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not Practice.objects.visible_to(request.user).filter(pk=pk).exists():
        teaser = _teaser(request, pk)
        if teaser is not None:
            return teaser
        if (sign_in := _sign_in_unless_visible(request, pk)) is not None:
            return sign_in
        raise Http404("Not found")
    practice = get_visible_or_404(Practice, request.user, pk)
    # What the workflow, review, adoption and comment partials read, fetched in a few queries
    # (37 queries for a practice with 20 comments without this, 6 with it).
    authored = Comment.objects.select_related("author")
    practice = (
        Practice.objects.select_related("owner", "owner_organisation__country")
        .prefetch_related(
            Prefetch("comments", queryset=authored.prefetch_related(Prefetch("replies", queryset=authored))),
            Prefetch("adoptions", queryset=Adoption.objects.select_related("country")),
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer")),
        )
        .get(pk=practice.pk)  # access: the same practice get_visible_or_404 returned
    )
    user = request.user
    roles = workflow.roles_of(user, practice)
    editable = actions.can_edit(user, practice)
    return render(
        request,
        "practices/detail.html",
        {
            "practice": practice,
            "state_label": state_label(practice),
            "topics": practice.topics.all(),
            "countries": practice.countries.all(),
            "organisations": practice.organisations.select_related("country"),
            "contacts": practice.contacts.select_related("organisation"),
            "co_authors": practice.co_authors.all(),
            "attachments": practice.attachments.all(),
            "revision_count": visible_revisions(user, practice).count(),
            "related": _related(user, practice),
            # Contact e-mail addresses are for the community, not the public nor external partners.
            "show_contact_email": bool(getattr(user, "is_authenticated", False) and user.is_community_member),
            "is_author": workflow.AUTHOR in roles,
            "can_edit": editable,
            "can_delete": practice.owner_id == user.pk
            and user.is_active
            and practice.state == Practice.State.DRAFT
            and not practice.revisions.exists(),
            "transitions": workflow.allowed(user, practice),
            "user_roles": roles,
        },
    )


# --- The form ---------------------------------------------------------------------------------------


def _form_context(form: PracticeForm, practice: Practice | None) -> dict[str, Any]:
    return {
        "form": form,
        "practice": practice,
        "fieldsets": form.fieldsets(),
        "note_field": form["note"] if "note" in form.fields else None,
        "markdown_fields": MARKDOWN_FIELDS,
        "attachments": practice.attachments.all() if practice is not None else [],
        "autosave": practice is not None and practice.state != Practice.State.PUBLISHED,
    }


@login_required
@require_http_methods(["GET", "POST"])
def practice_create(request: HttpRequest) -> HttpResponse:
    if not actions.can_create(request.user):
        return _refused(request, "Practices come from vetted members of the network community with an organisation.")
    if request.method == "POST":
        form = PracticeForm(request.POST, request.FILES, user=request.user)
        practice = save_form_with_files(
            form,
            lambda data: actions.do_create_practice(request.user, co_authors=form.cleaned_data["co_authors"], **data),
            lambda item, upload: actions.do_add_attachment(request.user, item, upload),
            PracticeForm.ERROR_FIELDS,
        )
        if practice is not None:
            messages.success(request, "Draft saved. Only you and the co-authors see it until it is published.")
            return redirect(practice)
    else:
        form = PracticeForm(user=request.user)
    return render(request, "practices/form.html", _form_context(form, None))


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    """403 with the reason in words (the site-wide 403 handler shows a generic text only); in JSON
    for the autosave script, which shows it beside the form."""
    if request.headers.get(AUTOSAVE_HEADER) == "1":
        return JsonResponse({"message": reason, "code": "forbidden", "errors": {}}, status=403)
    return render(request, "403.html", {"exception": reason}, status=403)


def _editable(request: HttpRequest, pk: int) -> Practice | HttpResponse:
    """The practice to edit; 404 for who does not see it; 403 with the reason for who sees it but
    may not edit it (not an author, or a state in which nobody edits)."""
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    if not practice.is_editable_by(request.user):
        return _refused(request, "Only the owner and the co-authors edit this practice.")
    if practice.state not in actions.EDITABLE_STATES:
        hints = {
            Practice.State.SUBMITTED: "withdraw it to draft first",
            Practice.State.IN_REVIEW: "wait for the reviewer's decision",
            Practice.State.REJECTED: "rework it as a draft first",
            Practice.State.ARCHIVED: "restore it first",
        }
        return _refused(
            request,
            f"A practice that is {state_label(practice).lower()} cannot be edited: "
            f"{hints.get(practice.state, 'its state does not allow it')}.",
        )
    return practice


def _autosave_errors(form: PracticeForm, message: str, code: str = "invalid_input") -> JsonResponse:
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    return JsonResponse({"message": message, "code": code, "errors": errors}, status=422)


def _autosave(request: HttpRequest, practice: Practice) -> HttpResponse:
    """Save as you go (autosave.js): the whole form without its files, through the same action as
    Save. 204 with the time when saved; 422 with the field errors when nothing was saved."""
    if practice.state == Practice.State.PUBLISHED:
        # Every save of a published practice is a new revision: those are saved on purpose only.
        return JsonResponse(
            {"message": "A published practice is saved with the Save button only.", "code": "conflict", "errors": {}},
            status=409,
        )
    form = PracticeForm(request.POST, user=request.user, practice=practice)
    if not form.is_valid():
        return _autosave_errors(form, "Not saved: please correct the fields marked below.")
    data = form.action_data()
    co_authors = None if form.fields["co_authors"].disabled else form.cleaned_data["co_authors"]
    try:
        actions.do_update_practice(request.user, practice, co_authors=co_authors, **data)
    except ActionError as error:
        add_action_errors(form, error, PracticeForm.ERROR_FIELDS)
        return _autosave_errors(form, error.message, error.code)
    response = HttpResponse(status=204)
    response["X-Autosave-Status"] = f"Saved at {timezone.localtime():%H:%M}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def practice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    practice = _editable(request, pk)
    if isinstance(practice, HttpResponse):
        return practice
    if request.method == "POST" and request.headers.get(AUTOSAVE_HEADER) == "1":
        return _autosave(request, practice)
    if request.method == "POST":
        form = PracticeForm(request.POST, request.FILES, user=request.user, practice=practice)

        def write(data: dict[str, Any]) -> Practice:
            note = form.cleaned_data.get("note") or ""
            # Only the owner changes the co-authors (the field is disabled for the others).
            co_authors = None if form.fields["co_authors"].disabled else form.cleaned_data["co_authors"]
            return actions.do_update_practice(request.user, practice, co_authors=co_authors, note=note, **data)

        saved = save_form_with_files(
            form,
            write,
            lambda item, upload: actions.do_add_attachment(request.user, item, upload),
            PracticeForm.ERROR_FIELDS,
        )
        if saved is not None:
            messages.success(request, "Practice saved.")
            return redirect(saved)
    else:
        form = PracticeForm(user=request.user, practice=practice)
    return render(request, "practices/form.html", _form_context(form, practice))


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown of one long field as the practice page will show it (sanitised), for htmx."""
    field = request.POST.get("field", "")
    text = request.POST.get(field, "") if field in MARKDOWN_FIELDS else request.POST.get("text", "")
    html = md.render(text[:100_000])
    if not html.strip():
        return HttpResponse(format_html('<p class="muted">{}</p>', "Nothing to preview yet."))
    # md.render sanitises with nh3; format_html marks the wrapper, the inner HTML is already clean.
    return HttpResponse(format_html('<div class="prose preview-body">{}</div>', _safe(html)))


def _safe(html: str) -> SafeString:
    # Output of enlets.core.markdown.render: sanitised by nh3, safe by construction.
    return mark_safe(html)  # noqa: S308


# --- Delete and files -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def practice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    if practice.owner_id != request.user.pk:
        return _refused(request, "Only the owner deletes a practice.")
    if practice.state != Practice.State.DRAFT or practice.revisions.exists():
        return _refused(request, "Only a draft that was never published can be deleted; archive a published practice.")
    if request.method == "POST":
        try:
            actions.do_delete_practice(request.user, practice)
        except ActionError as error:
            return _refused(request, error.message)
        messages.success(request, f"Deleted the draft “{practice.title}”.")
        return redirect("practices:list")
    return render(
        request,
        "practices/confirm_delete.html",
        {"practice": practice, "attachment": None, "attachments": practice.attachments.all()},
    )


def practice_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """Download a file of a practice the reader sees; the read is audited naming the file."""
    if (sign_in := _sign_in_unless_visible(request, pk)) is not None:
        return sign_in
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=False)
    return serve_attachment(request.user, practice, attachment_pk)


@login_required
@require_http_methods(["GET", "POST"])
def attachment_remove(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=False)
    attachment = get_object_or_404(PracticeAttachment, pk=attachment_pk, practice=practice)
    if not actions.can_edit(request.user, practice):
        return _refused(request, "Only the owner and the co-authors remove files, while the practice is editable.")
    if request.method == "POST":
        try:
            actions.do_remove_attachment(request.user, attachment)
        except ActionError as error:
            return _refused(request, error.message)
        messages.success(request, f"Removed the file {attachment.original_name}.")
        return redirect(practice)
    return render(request, "practices/confirm_delete.html", {"practice": practice, "attachment": attachment})


# --- Revisions --------------------------------------------------------------------------------------


def _visible_practice(request: HttpRequest, pk: int) -> Practice | HttpResponse:
    if (sign_in := _sign_in_unless_visible(request, pk)) is not None:
        return sign_in
    return get_visible_or_404(Practice, request.user, pk)


def revision_list(request: HttpRequest, pk: int) -> HttpResponse:
    practice = _visible_practice(request, pk)
    if isinstance(practice, HttpResponse):
        return practice
    revisions = list(visible_revisions(request.user, practice))  # newest first
    # Each revision with the one before it that this reader may see, for "compare" links.
    rows = [(r, revisions[i + 1].number if i + 1 < len(revisions) else None) for i, r in enumerate(revisions)]
    return render(request, "practices/revisions.html", {"practice": practice, "revisions": revisions, "rows": rows})


def _revision(user: Any, practice: Practice, number: Any) -> PracticeRevision:
    try:
        return visible_revisions(user, practice).get(number=int(number))
    except (PracticeRevision.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such revision.") from exc


def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    practice = _visible_practice(request, pk)
    if isinstance(practice, HttpResponse):
        return practice
    revision = _revision(request.user, practice, number)
    previous = visible_revisions(request.user, practice).filter(number__lt=revision.number).first()
    return render(
        request,
        "practices/revision.html",
        {
            "practice": practice,
            "revision": revision,
            "rows": content_rows(revision.content),
            "previous": previous,
        },
    )


def revision_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """?a=<number>&b=<number>; by default the one before the latest against the latest."""
    practice = _visible_practice(request, pk)
    if isinstance(practice, HttpResponse):
        return practice
    revisions = visible_revisions(request.user, practice)
    numbers = list(revisions.values_list("number", flat=True))  # newest first (Meta.ordering)
    a_raw, b_raw = request.GET.get("a"), request.GET.get("b")
    if not b_raw:
        # The latest (or, when only ?a= is given and it is the latest, nothing newer to compare).
        b_raw = numbers[0] if numbers else None
    if not a_raw and b_raw is not None:
        # The revision before b that this reader may see.
        try:
            older = [n for n in numbers if n < int(b_raw)]
        except ValueError as exc:
            raise Http404("No such revision.") from exc
        a_raw = older[0] if older else None
    if a_raw is None or b_raw is None:
        return render(
            request,
            "practices/diff.html",
            {"practice": practice, "a": None, "b": None, "rows": [], "numbers": numbers},
        )
    a = _revision(request.user, practice, a_raw)
    b = _revision(request.user, practice, b_raw)
    rows = diff_content(a.content, b.content)
    return render(
        request,
        "practices/diff.html",
        {
            "practice": practice,
            "a": a,
            "b": b,
            "rows": rows,
            "changed": [row for row in rows if row.changed],
            "numbers": numbers,
        },
    )
