"""The review workflow of a practice: every transition allowed and refused, through the actions and
through the pages; who is told; what is audited. A refused step changes nothing (state, audit)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from enlets.core.errors import InvalidInput, NotAllowed
from enlets.core.models import TLP, AuditEvent, Notification
from enlets.network.models import Role
from enlets.practices import actions, workflow
from enlets.practices.models import Practice, Review, ReviewCriterion
from tests.factories import OrganisationFactory, UserFactory, make_practice, make_topic

pytestmark = pytest.mark.django_db

ALL_TICKED = {c: True for c in ReviewCriterion.values}


@pytest.fixture
def people():
    """author, co_author, reviewer, second reviewer, reader (a member), outsider (an external partner)."""
    author, co_author = UserFactory(), UserFactory()
    reviewer, reviewer2 = UserFactory(), UserFactory()
    reader = UserFactory()
    outsider = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind="industry"))
    topic = make_topic("Workflow topic", reviewers=[reviewer, reviewer2])
    return {
        "author": author,
        "co_author": co_author,
        "reviewer": reviewer,
        "reviewer2": reviewer2,
        "reader": reader,
        "outsider": outsider,
        "topic": topic,
    }


def practice_in(people, state: str, **kwargs) -> Practice:
    practice = make_practice(
        people["author"], topics=[people["topic"]], state=state, reviewer=people["reviewer"], **kwargs
    )
    # Straight to the table: an edit would make a revision of a published practice.
    practice.co_authors.add(people["co_author"])
    return Practice.objects.get(pk=practice.pk)


def step_events(practice: Practice, step: str) -> int:
    return AuditEvent.objects.filter(
        action=f"practices.practice.{step}", object_type="practices.practice", object_id=str(practice.pk)
    ).count()


# (start state, step, who takes it, resulting state)
ALLOWED = [
    ("draft", "submit", "author", "submitted"),
    ("draft", "submit", "co_author", "submitted"),
    ("changes_requested", "submit", "author", "submitted"),
    ("submitted", "withdraw", "author", "draft"),
    ("submitted", "start_review", "reviewer", "in_review"),
    ("submitted", "request_changes", "reviewer", "changes_requested"),
    ("in_review", "request_changes", "reviewer2", "changes_requested"),
    ("submitted", "publish", "reviewer", "published"),
    ("in_review", "publish", "reviewer2", "published"),
    ("submitted", "reject", "reviewer", "rejected"),
    ("in_review", "reject", "reviewer", "rejected"),
    ("rejected", "rework", "author", "draft"),
    ("published", "archive", "author", "archived"),
    ("published", "archive", "reviewer", "archived"),
    ("archived", "restore", "author", "published"),
    ("archived", "restore", "reviewer2", "published"),
]


@pytest.mark.parametrize(("start", "step", "who", "end"), ALLOWED)
def test_every_allowed_transition_through_the_action_is_audited(people, start, step, who, end):
    practice = practice_in(people, start)
    actor = people[who]
    assert step in [t.name for t in workflow.allowed(actor, practice)]
    before = step_events(practice, step)
    done = actions.do_transition(actor, practice, step, checklist=ALL_TICKED, comment="Looks right.")
    assert done.state == end
    assert Practice.objects.get(pk=practice.pk).state == end
    assert step_events(practice, step) == before + 1
    event = AuditEvent.objects.filter(action=f"practices.practice.{step}", object_id=str(practice.pk)).latest("id")
    assert event.actor_id == actor.pk
    if workflow.TRANSITIONS[step].needs_review:
        review = Review.objects.filter(practice=practice).first()
        assert review.reviewer_id == actor.pk and review.comment == "Looks right."


@pytest.mark.parametrize(("start", "step", "who", "end"), ALLOWED)
def test_every_allowed_transition_through_the_page(client, people, start, step, who, end):
    practice = practice_in(people, start)
    client.force_login(people[who])
    before = step_events(practice, step)
    if workflow.TRANSITIONS[step].needs_review:
        url = reverse("practices:review", args=[practice.pk])
        response = client.post(url, {"decision": step, "checklist": ReviewCriterion.values, "comment": "Fine."})
    else:
        url = reverse("practices:transition", args=[practice.pk, step])
        response = client.post(url)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Practice.objects.get(pk=practice.pk).state == end
    assert step_events(practice, step) == before + 1


WRONG_STATE = [
    (step, state)
    for step, transition in workflow.TRANSITIONS.items()
    for state in Practice.State.values
    if state not in transition.sources
]


def _taker(step: str) -> str:
    return "reviewer" if workflow.REVIEWER in workflow.TRANSITIONS[step].by else "author"


@pytest.mark.parametrize(("step", "state"), WRONG_STATE)
def test_transition_from_a_wrong_state_is_refused_with_the_reason(people, step, state):
    practice = practice_in(people, state)
    actor = people[_taker(step)]
    if state in ("draft", "rejected") and actor == people["reviewer"]:
        actor = people["author"]  # the reviewer does not see a draft or a rejected practice
    before = step_events(practice, step)
    with pytest.raises(NotAllowed) as error:
        actions.do_transition(actor, practice, step, checklist=ALL_TICKED, comment="x")
    assert "cannot be sent to" in error.value.message
    assert error.value.code == "transition_refused"
    assert Practice.objects.get(pk=practice.pk).state == state
    assert step_events(practice, step) == before


@pytest.mark.parametrize(
    ("step", "state"), [(s, st) for s, st in WRONG_STATE if st in ("draft", "published", "submitted")]
)
def test_wrong_state_through_the_page_is_409_and_changes_nothing(client, people, step, state):
    practice = practice_in(people, state)
    actor = people["author"] if state == "draft" else people[_taker(step)]
    client.force_login(actor)
    events = AuditEvent.objects.count()
    if workflow.TRANSITIONS[step].needs_review:
        response = client.post(
            reverse("practices:review", args=[practice.pk]),
            {"decision": step, "checklist": ReviewCriterion.values, "comment": "x"},
        )
        # The review page refuses the decision in its form (or 403 for an author, who is no reviewer).
        assert response.status_code in (200, 403)
    else:
        response = client.post(reverse("practices:transition", args=[practice.pk, step]))
        assert response.status_code == 409
        assert "cannot be sent to" in response.content.decode()
    assert Practice.objects.get(pk=practice.pk).state == state
    assert AuditEvent.objects.count() == events


WRONG_PERSON = [
    ("draft", "submit", "reviewer", "Only the owner and the co-authors"),
    ("draft", "submit", "reader", None),  # a reader does not even see a draft
    ("submitted", "withdraw", "reviewer", "Only the owner and the co-authors"),
    ("submitted", "start_review", "author", "cannot review your own practice"),
    ("submitted", "start_review", "co_author", "Only a reviewer"),
    ("submitted", "publish", "author", "cannot review your own practice"),
    ("submitted", "reject", "co_author", "Only a reviewer"),
    ("submitted", "request_changes", "author", "cannot review your own practice"),
    ("rejected", "rework", "reviewer", None),
    ("published", "archive", "reader", "Only the authors, the topic's reviewers and the Core Group"),
    ("archived", "restore", "reader", None),  # an archived practice is still visible, but not theirs
]


@pytest.mark.parametrize(("state", "step", "who", "words"), WRONG_PERSON)
def test_transition_by_the_wrong_person_is_refused(people, state, step, who, words):
    practice = practice_in(people, state)
    if step in ("start_review", "publish", "request_changes") and who == "author":
        # The author is also a reviewer of the topic: still, nobody reviews their own practice.
        people["topic"].reviewers.add(people["author"])
    before = step_events(practice, step)
    with pytest.raises(NotAllowed) as error:
        actions.do_transition(people[who], practice, step, checklist=ALL_TICKED, comment="x")
    if words:
        assert words in error.value.message
    assert Practice.objects.get(pk=practice.pk).state == state
    assert step_events(practice, step) == before


def test_own_practice_reviewer_cannot_review_on_the_page(client, people):
    people["topic"].reviewers.add(people["author"])
    practice = practice_in(people, "submitted")
    client.force_login(people["author"])
    response = client.get(reverse("practices:review", args=[practice.pk]))
    assert response.status_code == 403
    response = client.post(
        reverse("practices:review", args=[practice.pk]),
        {"decision": "publish", "checklist": ReviewCriterion.values, "comment": "mine"},
    )
    assert response.status_code == 403
    assert Practice.objects.get(pk=practice.pk).state == "submitted"
    assert not Review.objects.filter(practice=practice).exists()


def test_wrong_person_through_the_page_is_403_names_the_reason_and_changes_nothing(client, people):
    practice = practice_in(people, "published")
    client.force_login(people["reader"])
    events = AuditEvent.objects.count()
    response = client.post(reverse("practices:transition", args=[practice.pk, "archive"]))
    assert response.status_code == 403
    assert "Only the authors, the topic&#x27;s reviewers and the Core Group" in response.content.decode()
    assert Practice.objects.get(pk=practice.pk).state == "published"
    assert AuditEvent.objects.count() == events
    # The confirmation page refuses in the same words.
    response = client.get(reverse("practices:transition", args=[practice.pk, "archive"]))
    assert response.status_code == 403


def test_publish_needs_every_criterion_ticked(people):
    practice = practice_in(people, "in_review")
    with pytest.raises(InvalidInput) as error:
        actions.do_transition(people["reviewer"], practice, "publish", checklist={"evidence": True}, comment="")
    assert set(error.value.field_errors["checklist"]) == {
        label for value, label in ReviewCriterion.choices if value != "evidence"
    }
    assert Practice.objects.get(pk=practice.pk).state == "in_review"
    assert step_events(practice, "publish") == 0
    assert not Review.objects.filter(practice=practice, decision="publish").exists()


def test_unticked_criteria_on_the_review_page_are_named_and_change_nothing(client, people):
    practice = practice_in(people, "submitted")
    client.force_login(people["reviewer"])
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("practices:review", args=[practice.pk]),
        {"decision": "publish", "checklist": ["evidence", "contact"], "comment": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Legal basis stated" in page and "The review was not saved" in page
    assert Practice.objects.get(pk=practice.pk).state == "submitted"
    assert AuditEvent.objects.count() == events
    assert not Review.objects.filter(practice=practice).exists()


@pytest.mark.parametrize("step", ["reject", "request_changes"])
def test_reject_and_request_changes_need_a_comment(client, people, step):
    practice = practice_in(people, "in_review")
    with pytest.raises(InvalidInput) as error:
        actions.do_transition(people["reviewer"], practice, step, checklist={}, comment="  ")
    assert "comment" in error.value.field_errors
    client.force_login(people["reviewer"])
    response = client.post(reverse("practices:review", args=[practice.pk]), {"decision": step, "comment": ""})
    assert response.status_code == 200
    assert "Write a comment for the authors." in response.content.decode()
    assert Practice.objects.get(pk=practice.pk).state == "in_review"
    assert step_events(practice, step) == 0


def test_submit_names_the_missing_fields(client, people):
    practice = actions.do_create_practice(people["author"], title="Thin practice", topics=[people["topic"]])
    with pytest.raises(InvalidInput) as error:
        actions.do_transition(people["author"], practice, "submit")
    assert {"summary", "problem", "solution", "results", "legal_basis", "transferability"} <= set(
        error.value.field_errors
    )
    client.force_login(people["author"])
    events = AuditEvent.objects.count()
    response = client.post(reverse("practices:transition", args=[practice.pk, "submit"]))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Legal basis" in page and "State the legal basis." in page
    assert "Transferability" in page
    assert reverse("practices:edit", args=[practice.pk]) in page
    assert Practice.objects.get(pk=practice.pk).state == "draft"
    assert AuditEvent.objects.count() == events


def test_submit_refused_when_the_topics_have_no_reviewers(client, people):
    lonely = make_topic("Nobody reviews this")
    practice = make_practice(people["author"], topics=[lonely])
    with pytest.raises(InvalidInput) as error:
        actions.do_transition(people["author"], practice, "submit")
    assert "No one reviews Nobody reviews this" in error.value.message
    assert error.value.field_errors == {"topics": ["These topics have no reviewers."]}
    client.force_login(people["author"])
    response = client.post(reverse("practices:transition", args=[practice.pk, "submit"]))
    assert response.status_code == 400
    assert "No one reviews Nobody reviews this" in response.content.decode()
    assert Practice.objects.get(pk=practice.pk).state == "draft"


def test_unknown_step_is_refused(client, people):
    practice = practice_in(people, "draft")
    with pytest.raises(NotAllowed, match="Unknown step"):
        actions.do_transition(people["author"], practice, "teleport")
    client.force_login(people["author"])
    assert client.post(reverse("practices:transition", args=[practice.pk, "teleport"])).status_code == 404


# --- The pages: visibility, confirmation, redirects ---------------------------------------------------


def test_transition_pages_are_404_for_who_cannot_see_and_sign_in_for_anonymous(client, people):
    practice = practice_in(people, "submitted")
    for url in (
        reverse("practices:transition", args=[practice.pk, "withdraw"]),
        reverse("practices:transition", args=[practice.pk, "start_review"]),
        reverse("practices:review", args=[practice.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.post(url).status_code == 302
    for who in ("reader", "outsider"):
        client.force_login(people[who])
        for url in (
            reverse("practices:transition", args=[practice.pk, "withdraw"]),
            reverse("practices:transition", args=[practice.pk, "start_review"]),
            reverse("practices:review", args=[practice.pk]),
        ):
            assert client.get(url).status_code == 404
            assert client.post(url, {"decision": "publish"}).status_code == 404
    assert Practice.objects.get(pk=practice.pk).state == "submitted"
    # A missing practice answers the same.
    assert client.get(reverse("practices:review", args=[987654])).status_code == 404


def test_review_page_is_403_for_a_reader_who_sees_the_practice(client, people):
    practice = practice_in(people, "published")
    client.force_login(people["reader"])
    assert client.get(reverse("practices:review", args=[practice.pk])).status_code == 403
    client.force_login(people["outsider"])
    assert client.get(reverse("practices:review", args=[practice.pk])).status_code == 404


@pytest.mark.parametrize("step", ["withdraw", "archive", "restore", "rework"])
def test_confirmation_pages_change_nothing(client, people, step):
    state = {"withdraw": "submitted", "archive": "published", "restore": "archived", "rework": "rejected"}[step]
    practice = practice_in(people, state)
    client.force_login(people["author"])
    response = client.get(reverse("practices:transition", args=[practice.pk, step]))
    assert response.status_code == 200
    page = response.content.decode()
    assert workflow.TRANSITIONS[step].label in page and 'method="post"' in page
    assert "TLP:" in page
    assert Practice.objects.get(pk=practice.pk).state == state


def test_review_steps_on_the_transition_url_lead_to_the_review_page(client, people):
    practice = practice_in(people, "submitted")
    client.force_login(people["reviewer"])
    response = client.post(reverse("practices:transition", args=[practice.pk, "publish"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("practices:review", args=[practice.pk]) + "?decision=publish"
    assert Practice.objects.get(pk=practice.pk).state == "submitted"


def test_review_page_shows_summary_checklist_help_and_decisions(client, people):
    practice = practice_in(people, "submitted")
    client.force_login(people["reviewer"])
    page = client.get(reverse("practices:review", args=[practice.pk])).content.decode()
    assert practice.title in page and practice.summary in page
    for value, label in ReviewCriterion.choices:
        assert f'value="{value}"' in page and label in page
    assert "measured outcomes" in page  # the help text of a criterion
    for decision in ("comment", "request_changes", "publish", "reject"):
        assert f'value="{decision}"' in page
    assert "Start the review" in page
    chosen = client.get(reverse("practices:review", args=[practice.pk]) + "?decision=reject").content.decode()
    assert "You chose <strong>Reject</strong>" in chosen


def test_comment_only_review_keeps_the_state_and_tells_the_authors(client, people):
    practice = practice_in(people, "in_review")
    client.force_login(people["reviewer"])
    response = client.post(
        reverse("practices:review", args=[practice.pk]),
        {"decision": "comment", "checklist": ["evidence"], "comment": "Add the **2023** figures."},
    )
    assert response.status_code == 302
    review = Review.objects.get(practice=practice, decision="comment")
    assert review.checklist["evidence"] is True and review.checklist["contact"] is False
    assert Practice.objects.get(pk=practice.pk).state == "in_review"
    assert AuditEvent.objects.filter(action="practices.review.comment", object_id=str(practice.pk)).exists()
    assert Notification.objects.filter(recipient=people["author"], verb="practices.review_comment").exists()
    # The form starts from the reviewer's last checklist next time.
    page = client.get(reverse("practices:review", args=[practice.pk])).content.decode()
    assert 'id="criterion-evidence" aria-describedby="criterion-evidence-help" checked' in page


def test_reviewer_who_rejects_is_sent_to_the_list(client, people):
    practice = practice_in(people, "submitted")
    client.force_login(people["reviewer"])
    response = client.post(
        reverse("practices:review", args=[practice.pk]), {"decision": "reject", "comment": "Out of scope."}
    )
    assert response.status_code == 302
    # Rejected practices are the authors' again: the reviewer no longer sees it.
    assert response["Location"] == reverse("practices:list")
    assert Practice.objects.get(pk=practice.pk).state == "rejected"


# --- Notifications -----------------------------------------------------------------------------------


def test_submission_notifies_the_reviewers_only(people):
    practice = practice_in(people, "draft")
    Notification.objects.all().delete()
    actions.do_transition(people["author"], practice, "submit")
    told = set(Notification.objects.filter(verb="practices.submit").values_list("recipient_id", flat=True))
    assert told == {people["reviewer"].pk, people["reviewer2"].pk}


def test_decisions_notify_authors_and_other_reviewers_not_the_actor(people):
    practice = practice_in(people, "submitted")
    Notification.objects.all().delete()
    actions.do_transition(people["reviewer"], practice, "publish", checklist=ALL_TICKED, comment="Well done.")
    told = set(Notification.objects.filter(verb="practices.publish").values_list("recipient_id", flat=True))
    assert told == {people["author"].pk, people["co_author"].pk, people["reviewer2"].pk}
    note = Notification.objects.get(verb="practices.publish", recipient=people["author"])
    assert "Well done." in note.text and note.url == practice.get_absolute_url()


def test_nobody_is_told_of_an_item_they_cannot_see(people):
    # After a rejection or a withdrawal the reviewers no longer see the practice: they hear nothing.
    practice = practice_in(people, "submitted")
    Notification.objects.all().delete()
    actions.do_transition(people["reviewer"], practice, "reject", checklist={}, comment="No evidence.")
    told = set(Notification.objects.filter(verb="practices.reject").values_list("recipient_id", flat=True))
    assert told == {people["author"].pk, people["co_author"].pk}
    other = practice_in(people, "submitted")
    Notification.objects.all().delete()
    actions.do_transition(people["author"], other, "withdraw")
    assert not Notification.objects.filter(verb="practices.withdraw").exists()
    # And an outsider never hears of a GREEN practice, whatever their role.
    assert not Notification.objects.filter(recipient=people["outsider"]).exists()


def test_a_deactivated_reviewer_is_not_told(people):
    people["reviewer2"].is_active = False
    people["reviewer2"].save()
    practice = practice_in(people, "draft")
    Notification.objects.all().delete()
    actions.do_transition(people["author"], practice, "submit")
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {people["reviewer"].pk}


def test_red_practice_reviewers_outside_the_audience_still_review_it_but_readers_do_not_hear(people):
    practice = practice_in(people, "submitted", tlp=TLP.RED, audience={"audience_people": [people["author"]]})
    Notification.objects.all().delete()
    actions.do_transition(people["reviewer"], practice, "publish", checklist=ALL_TICKED, comment="ok")
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    # Once published, a RED practice is seen by its named audience and authors only: the second
    # reviewer (not named) is not told about it.
    assert people["author"].pk in told
    assert people["reviewer2"].pk not in told
    assert people["reader"].pk not in told


# --- The partials on the practice page ---------------------------------------------------------------


def _render(template: str, user, practice: Practice) -> str:
    request = RequestFactory().get(practice.get_absolute_url())
    request.user = user
    return render_to_string(
        template,
        {
            "practice": practice,
            "transitions": workflow.allowed(user, practice),
            "can_edit": actions.can_edit(user, practice),
            "user_roles": workflow.roles_of(user, practice),
            "user": user,
        },
        request=request,
    )


def test_workflow_buttons_match_the_allowed_steps(people):
    draft = practice_in(people, "draft")
    html = _render("practices/_workflow.html", people["author"], draft)
    assert reverse("practices:transition", args=[draft.pk, "submit"]) in html and 'method="post"' in html
    submitted = practice_in(people, "submitted")
    html = _render("practices/_workflow.html", people["reviewer"], submitted)
    assert reverse("practices:review", args=[submitted.pk]) + "?decision=publish" in html
    assert reverse("practices:transition", args=[submitted.pk, "start_review"]) in html
    assert reverse("practices:transition", args=[submitted.pk, "withdraw"]) not in html
    html = _render("practices/_workflow.html", people["author"], submitted)
    # Withdraw asks first: a link to the confirmation page, not a form that acts at once.
    assert f'href="{reverse("practices:transition", args=[submitted.pk, "withdraw"])}"' in html
    published = practice_in(people, "published")
    assert "<button" not in _render("practices/_workflow.html", people["reader"], published)


def test_review_history_is_for_authors_and_reviewers_only(people):
    practice = practice_in(people, "published")
    Review.objects.filter(practice=practice).update(comment="Secret **reviewer** remark")
    for who in ("author", "co_author", "reviewer", "reviewer2"):
        html = _render("practices/_review.html", people[who], Practice.objects.get(pk=practice.pk))
        assert "Secret <strong>reviewer</strong> remark" in html
        assert "Publish" in html and people["reviewer"].display_name in html
    html = _render("practices/_review.html", people["reader"], practice)
    assert "Secret" not in html and "Reviews" not in html
