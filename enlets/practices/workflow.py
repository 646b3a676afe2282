"""The review workflow of a practice: which steps exist, who may take each, and why a refused one
is refused. Pure rules, no writes: actions.do_transition applies them.

    step             from                               to                  who
    submit           draft, changes requested           submitted           authors
    withdraw         submitted                          draft               authors
    start_review     submitted                          in review           a reviewer of its topics
    request_changes  submitted, in review               changes requested   a reviewer (with a comment)
    publish          submitted, in review               published           a reviewer (every criterion met)
    reject           submitted, in review               rejected            a reviewer (with the reason)
    rework           rejected                           draft               authors
    archive          published                          archived            authors, reviewers, Core Group
    restore          archived                           published           authors, reviewers, Core Group
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from enlets.practices.models import Practice, ReviewCriterion

S = Practice.State

AUTHOR, REVIEWER, CURATOR = "author", "reviewer", "curator"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    # Who may take it: the practice's authors (owner, co-authors), the reviewers of its topics,
    # or curators (reviewers and the Core Group, who look after the published collection).
    by: tuple[str, ...]
    # A review (checklist and comment) goes with it.
    needs_review: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", "Submit for review", (S.DRAFT, S.CHANGES_REQUESTED), S.SUBMITTED, (AUTHOR,)),
        Transition("withdraw", "Withdraw to draft", (S.SUBMITTED,), S.DRAFT, (AUTHOR,)),
        Transition("start_review", "Start the review", (S.SUBMITTED,), S.IN_REVIEW, (REVIEWER,)),
        Transition(
            "request_changes",
            "Request changes",
            (S.SUBMITTED, S.IN_REVIEW),
            S.CHANGES_REQUESTED,
            (REVIEWER,),
            needs_review=True,
        ),
        Transition("publish", "Publish", (S.SUBMITTED, S.IN_REVIEW), S.PUBLISHED, (REVIEWER,), needs_review=True),
        Transition("reject", "Reject", (S.SUBMITTED, S.IN_REVIEW), S.REJECTED, (REVIEWER,), needs_review=True),
        Transition("rework", "Rework as a draft", (S.REJECTED,), S.DRAFT, (AUTHOR,)),
        Transition("archive", "Archive", (S.PUBLISHED,), S.ARCHIVED, (AUTHOR, CURATOR)),
        Transition("restore", "Restore to published", (S.ARCHIVED,), S.PUBLISHED, (AUTHOR, CURATOR)),
    )
}

# The template fields a practice must fill before it goes to review, with the message naming each.
REQUIRED_FOR_SUBMISSION: dict[str, str] = {
    "summary": "Write a summary.",
    "problem": "Describe the operational problem.",
    "solution": "Describe the solution and the technology used.",
    "results": "Give the results and the evidence (what was measured).",
    "legal_basis": "State the legal basis.",
    "transferability": "Say what another state needs to adopt it.",
}


def roles_of(user: Any, practice: Practice) -> set[str]:
    roles: set[str] = set()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return roles
    if practice.is_editable_by(user):
        roles.add(AUTHOR)
    # Nobody reviews their own practice.
    if practice.is_reviewer(user) and AUTHOR not in roles:
        roles.update({REVIEWER, CURATOR})
    if user.is_core_group:
        roles.add(CURATOR)
    return roles


def refusal(user: Any, practice: Practice, name: str) -> str | None:
    """Why `user` may not take transition `name` now, or None when they may."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        return f"Unknown step {name!r}. Steps: {', '.join(TRANSITIONS)}."
    if practice.state not in transition.sources:
        sources = " or ".join(S(s).label.lower() for s in transition.sources)
        return (
            f"A practice that is {S(practice.state).label.lower()} cannot be sent to "
            f"{S(transition.target).label.lower()}: this step starts from {sources}."
        )
    roles = roles_of(user, practice)
    if not roles & set(transition.by):
        if transition.by == (REVIEWER,):
            if AUTHOR in roles and practice.is_reviewer(user):
                return "You cannot review your own practice: another reviewer of its topics does."
            return "Only a reviewer of the practice's topics may do this."
        if transition.by == (AUTHOR,):
            return "Only the owner and the co-authors may do this."
        return "Only the authors, the topic's reviewers and the Core Group may do this."
    return None


def allowed(user: Any, practice: Practice) -> list[Transition]:
    """The transitions `user` may take now, for the buttons on the practice page."""
    return [t for t in TRANSITIONS.values() if refusal(user, practice, t.name) is None]


def missing_for_submission(practice: Practice) -> dict[str, list[str]]:
    """Field errors that keep a practice from going to review (empty when it may go)."""
    errors = {f: [m] for f, m in REQUIRED_FOR_SUBMISSION.items() if not (getattr(practice, f) or "").strip()}
    if not practice.topics.filter(state="active").exists():
        errors["topics"] = ["Choose at least one active topic."]
    if not practice.countries.exists():
        errors["countries"] = ["Name at least one member state involved."]
    if not practice.contacts.exists() and not practice.contact_note.strip():
        errors["contacts"] = ["Name a contact person."]
    return errors


def missing_for_publication(checklist: dict[str, bool]) -> list[str]:
    """The quality criteria not ticked; a practice is published only when all are."""
    return [label for value, label in ReviewCriterion.choices if not checklist.get(value)]
