"""Pages of the review workflow, adoption statements and comment threads of a practice.

Thin: every item is reached through `get_visible_or_404(Practice, ...)` first (a practice the reader
may not see is 404, and so is every review, adoption and comment hanging off it); every write goes
through enlets.practices.actions, whose refusals are shown in words and change nothing.

The practice page (views.practice_detail) includes the partials _workflow.html, _review.html,
_adoption.html and _comments.html with the context: practice, transitions, can_edit, user_roles, user.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from enlets.core.errors import ActionError, NotAllowed
from enlets.core.forms import add_action_errors
from enlets.core.shared import get_visible_or_404
from enlets.practices import actions, workflow
from enlets.practices.models import Adoption, Comment, Practice, ReviewCriterion

# What each step does, on its confirmation page (withdraw, archive, restore and rework link there
# from _workflow.html; submit and start review are taken at once but have the page too).
CONFIRM_TEXT = {
    "submit": "The practice goes to the reviewers of its topics, who are told. You cannot edit it while it is there.",
    "withdraw": "The practice goes back to draft and its reviewers stop seeing it. Submit it again when ready.",
    "start_review": "The authors see that you took the review; they cannot edit the practice until you decide.",
    "rework": "The rejected practice becomes a draft again, so you can rework it and submit it once more.",
    "archive": "The practice leaves the published collection (lists, summaries, feeds) but keeps its address, "
    "its revisions and its marking. It can be restored.",
    "restore": "The practice returns to the published collection as it was when archived.",
}

# What a reviewer checks for each criterion (docs/exchange.md explains them at length).
CRITERION_HELP = {
    ReviewCriterion.EVIDENCE: "The results give measured outcomes (figures, before and after), not only claims.",
    ReviewCriterion.LEGAL_BASIS: "The legal basis names the law or regulation the practice rests on.",
    ReviewCriterion.TRANSFERABILITY: "Another state can tell what it needs (law, data, people, money) to adopt it.",
    ReviewCriterion.CONTACT: "A named, active contact person (or other contact details) can answer questions.",
    ReviewCriterion.MARKING: "The TLP marking and audience fit the content: no more open, no stricter than needed.",
}

DECISIONS = [
    ("comment", "Comment only"),
    ("request_changes", "Request changes"),
    ("publish", "Publish"),
    ("reject", "Reject"),
]


def _back_to(practice: Practice, anchor: str = "") -> str:
    return f"{practice.get_absolute_url()}{'#' + anchor if anchor else ''}"


def _after_write(request: HttpRequest, practice: Practice, anchor: str = "") -> HttpResponse:
    """Back to the practice, or to the list when the step took it out of the actor's sight
    (a reviewer who rejects a practice no longer sees it)."""
    if Practice.objects.visible_to(request.user).filter(pk=practice.pk).exists():
        return redirect(_back_to(practice, anchor))
    return redirect("practices:list")


# --- Workflow ---------------------------------------------------------------------------------------


def _refusal_status(practice: Practice, step: str) -> int:
    """409 when the state forbids the step (try again later or never), 403 when the person may not."""
    transition = workflow.TRANSITIONS[step]
    return 409 if practice.state not in transition.sources else 403


@login_required
@require_http_methods(["GET", "POST"])
def practice_transition(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Take one workflow step. GET shows what it does and asks to confirm; POST takes it. A refused
    step renders a page naming the reason (and the missing fields, for a submission) and changes nothing."""
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    transition = workflow.TRANSITIONS.get(step)
    if transition is None:
        raise Http404("Unknown step")
    if transition.needs_review:
        # Request changes, publish and reject go with a review: the review page takes them.
        return redirect(f"{reverse('practices:review', args=[practice.pk])}?decision={step}")
    context: dict[str, Any] = {
        "practice": practice,
        "transition": transition,
        "explanation": CONFIRM_TEXT.get(step, ""),
    }
    reason = workflow.refusal(request.user, practice, step)
    if reason is not None:
        return render(
            request,
            "practices/transition_confirm.html",
            {**context, "reason": reason},
            status=_refusal_status(practice, step),
        )
    if request.method == "GET":
        return render(request, "practices/transition_confirm.html", context)
    try:
        actions.do_transition(request.user, practice, step, note=request.POST.get("note", ""))
    except ActionError as error:
        practice.refresh_from_db()
        missing = error.field_errors if step == "submit" and isinstance(error.field_errors, dict) else {}
        status = 400 if not isinstance(error, NotAllowed) else _refusal_status(practice, step)
        return render(
            request,
            "practices/transition_confirm.html",
            {
                **context,
                "reason": error.message,
                "missing": [(name.replace("_", " "), msgs) for name, msgs in missing.items()],
                "can_edit": actions.can_edit(request.user, practice),
            },
            status=status,
        )
    messages.success(
        request, f"{transition.label}: done. The practice is now {Practice.State(transition.target).label.lower()}."
    )
    return _after_write(request, practice)


# --- Review -----------------------------------------------------------------------------------------


class ReviewForm(forms.Form):
    checklist = forms.MultipleChoiceField(
        label="Quality criteria",
        choices=ReviewCriterion.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A practice is published only when every criterion is met.",
    )
    comment = forms.CharField(
        label="Comment for the authors (Markdown)",
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=10000,
        help_text="Required when you request changes or reject: say what needs to change, or why.",
    )
    decision = forms.ChoiceField(label="Decision", choices=DECISIONS)

    def criteria(self) -> list[dict[str, Any]]:
        """The checklist rows with their help text and whether each is ticked now."""
        ticked = set(self["checklist"].value() or [])
        return [
            {"value": value, "label": label, "help": CRITERION_HELP.get(value, ""), "checked": value in ticked}
            for value, label in ReviewCriterion.choices
        ]


def _reviewable_or_403(request: HttpRequest, pk: int) -> Practice:
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    if workflow.REVIEWER not in workflow.roles_of(request.user, practice):
        if practice.is_reviewer(request.user) and practice.is_editable_by(request.user):
            raise PermissionDenied("You cannot review your own practice: another reviewer of its topics does.")
        raise PermissionDenied("Only a reviewer of the practice's topics reviews it.")
    return practice


@login_required
@require_http_methods(["GET", "POST"])
def practice_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The reviewer's page: the practice in short, the checklist, a comment and the decision."""
    practice = _reviewable_or_403(request, pk)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            checklist = {c: c in form.cleaned_data["checklist"] for c in ReviewCriterion.values}
            comment = form.cleaned_data["comment"]
            try:
                if decision == "comment":
                    actions.do_review_comment(request.user, practice, checklist=checklist, comment=comment)
                else:
                    actions.do_transition(request.user, practice, decision, checklist=checklist, comment=comment)
            except ActionError as error:
                add_action_errors(form, error)
                if "checklist" in error.field_errors or "comment" in error.field_errors:
                    # Keep the whole sentence too: it names every unmet criterion.
                    form.add_error(None, error.message)
                practice.refresh_from_db()
            else:
                label = dict(DECISIONS)[decision]
                messages.success(request, f"Review saved: {label.lower()}.")
                return _after_write(request, practice, "reviews")
    else:
        # Start from this reviewer's last checklist, so an interim review is not lost.
        last = practice.reviews.filter(reviewer=request.user).first()
        wanted = request.GET.get("decision", "")
        form = ReviewForm(
            initial={
                "checklist": [k for k, v in (last.checklist if last else {}).items() if v],
                "decision": wanted if wanted in dict(DECISIONS) else "comment",
            }
        )
    decisions = [
        (value, label)
        for value, label in DECISIONS
        if (value == "comment" and practice.state in Practice.REVIEW_STATES)
        or (value != "comment" and workflow.refusal(request.user, practice, value) is None)
    ]
    return render(
        request,
        "practices/review.html",
        {
            "practice": practice,
            "form": form,
            "decisions": decisions,
            "reviews": practice.reviews.select_related("reviewer"),
            "topics": practice.topics.all(),
            "start_review": workflow.refusal(request.user, practice, "start_review") is None,
            # The button the reviewer came from (?decision=publish on the practice page).
            "chosen": dict(decisions).get(request.GET.get("decision", "")) if request.method == "GET" else None,
        },
    )


# --- Adoption ---------------------------------------------------------------------------------------


@login_required
@require_POST
def adoption_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or replace the statement of the actor's country (action=record), or withdraw it (action=remove)."""
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=False)
    if not actions.can_record_adoption(request.user, practice):
        raise PermissionDenied("Vetted members record adoption of published practices for their own country.")
    try:
        if request.POST.get("action") == "remove":
            ours = Adoption.objects.filter(practice=practice)  # access: `practice` is visible
            adoption = ours.filter(country_id=request.user.country_id).first()
            if adoption is None:
                messages.info(request, "Your country has no statement on this practice.")
                return redirect(_back_to(practice, "adoption"))
            actions.do_remove_adoption(request.user, adoption)
            messages.success(request, "Your country's statement was withdrawn.")
        else:
            adoption = actions.do_record_adoption(
                request.user, practice, status=request.POST.get("status", ""), note=request.POST.get("note", "")
            )
            messages.success(request, f"Recorded for {adoption.country.name}: {adoption.get_status_display().lower()}.")
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    except ActionError as error:
        details = "; ".join(m for msgs in error.field_errors.values() for m in msgs)
        messages.error(request, f"{error.message} {details}".strip())
    return redirect(_back_to(practice, "adoption"))


# --- Comments ---------------------------------------------------------------------------------------


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment (Markdown)",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        required=False,  # the action names an empty comment, with the same words as the API
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _comment_of(practice: Practice, comment_pk: int) -> Comment:
    # Only through the visible practice: a comment of another practice is 404 here.
    return get_object_or_404(Comment.objects.select_related("author", "practice"), pk=comment_pk, practice=practice)


@login_required
@require_http_methods(["GET", "POST"])
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment or a reply (?parent=<pk>). Replies to a reply join its thread (one level)."""
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    raw_parent = request.POST.get("parent") if request.method == "POST" else request.GET.get("parent")
    parent = None
    if raw_parent:
        try:
            parent = _comment_of(practice, int(raw_parent))
        except ValueError as exc:
            raise Http404("Unknown comment") from exc
        if parent.parent_id:
            parent = parent.parent
    form = CommentForm(
        request.POST if request.method == "POST" else None, initial={"parent": parent.pk if parent else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            comment = actions.do_add_comment(request.user, practice, form.cleaned_data["body"], parent=parent)
        except NotAllowed as error:
            raise Http404("Not found") from error
        except ActionError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, "Comment added.")
            return redirect(_back_to(practice, f"comment-{comment.pk}"))
    return render(
        request, "practices/comment_form.html", {"practice": practice, "form": form, "parent": parent, "mode": "add"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    comment = _comment_of(practice, comment_pk)
    if comment.author_id != request.user.pk or comment.removed_at is not None:
        raise PermissionDenied("Only its author edits a comment, and not once it is removed.")
    form = CommentForm(request.POST if request.method == "POST" else None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_edit_comment(request.user, comment, form.cleaned_data["body"])
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        except ActionError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, "Comment saved.")
            return redirect(_back_to(practice, f"comment-{comment.pk}"))
    return render(
        request, "practices/comment_form.html", {"practice": practice, "form": form, "comment": comment, "mode": "edit"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_remove(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Ask, then remove: the comment keeps its place in the thread as "comment removed"."""
    practice = get_visible_or_404(Practice, request.user, pk, audit_read=request.method == "GET")
    comment = _comment_of(practice, comment_pk)
    if not actions.can_remove_comment(request.user, comment):
        raise PermissionDenied("Only the comment's author, the practice's owner or the Core Group removes a comment.")
    if comment.removed_at is not None:
        messages.info(request, "That comment was already removed.")
        return redirect(_back_to(practice, f"comment-{comment.pk}"))
    if request.method == "POST":
        try:
            actions.do_remove_comment(request.user, comment)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        messages.success(request, "Comment removed.")
        return redirect(_back_to(practice, f"comment-{comment.pk}"))
    return render(request, "practices/comment_form.html", {"practice": practice, "comment": comment, "mode": "remove"})
