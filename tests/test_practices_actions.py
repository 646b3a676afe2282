"""The practice actions end to end: create, submit, review, publish, revise, adopt, comment."""

from __future__ import annotations

import pytest
from django.core import mail

from enlets.core.errors import InvalidInput, NotAllowed
from enlets.core.models import AuditEvent, Notification
from enlets.practices import actions
from enlets.practices.models import Practice, PracticeRevision
from tests.factories import UserFactory, make_practice, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    author = UserFactory()
    reviewer = UserFactory()
    topic = make_topic("ANPR test", reviewers=[reviewer])
    return author, reviewer, topic


def test_five_edbp_topics_are_seeded():
    from enlets.practices.models import Topic

    assert set(Topic.objects.values_list("slug", flat=True)) >= {
        "anpr",
        "osint",
        "sigint",
        "surveillance",
        "front-line-policing",
    }
    assert Topic.objects.get(slug="anpr").lead_country_id == "NL"


def test_full_flow_publishes_a_revision_and_notifies(people, django_capture_on_commit_callbacks):
    author, reviewer, topic = people
    with django_capture_on_commit_callbacks(execute=True):
        practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    assert practice.state == "published" and practice.published_at is not None
    assert PracticeRevision.objects.filter(practice=practice).count() == 1
    # The reviewer heard of the submission, the author of the publication; both by e-mail too.
    assert Notification.objects.filter(recipient=reviewer, verb="practices.submit").exists()
    assert Notification.objects.filter(recipient=author, verb="practices.publish").exists()
    assert any(author.email in m.to for m in mail.outbox)
    actions_done = set(
        AuditEvent.objects.filter(object_type="practices.practice", object_id=str(practice.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"practices.practice.create", "practices.practice.submit", "practices.practice.publish"} <= actions_done


def test_incomplete_practice_cannot_be_submitted_and_names_fields(people):
    author, _reviewer, topic = people
    practice = actions.do_create_practice(author, title="Thin", topics=[topic])
    with pytest.raises(InvalidInput) as error:
        actions.do_transition(author, practice, "submit")
    assert {"summary", "results", "legal_basis"} <= set(error.value.field_errors)
    assert Practice.objects.get(pk=practice.pk).state == "draft"


def test_publish_needs_every_criterion_and_not_own_practice(people):
    author, reviewer, topic = people
    practice = make_practice(author, topics=[topic], state="submitted", reviewer=reviewer)
    with pytest.raises(InvalidInput, match="quality criterion"):
        actions.do_transition(reviewer, practice, "publish", checklist={"evidence": True})
    with pytest.raises(NotAllowed, match="reviewer"):
        actions.do_transition(author, practice, "publish", checklist={})


def test_editing_published_practice_keeps_revisions(people):
    author, reviewer, topic = people
    practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    actions.do_update_practice(author, practice, results="Recovery rose to 61%.", note="New figures")
    revisions = list(PracticeRevision.objects.filter(practice=practice).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].content["results"] == "Recovery rose to 61%."
    assert revisions[0].content["results"] != revisions[1].content["results"]


def test_reviewer_sees_submission_only_while_in_review(people):
    author, reviewer, topic = people
    other = UserFactory()
    practice = make_practice(author, topics=[topic], state="submitted", reviewer=reviewer, tlp="RED")
    assert Practice.objects.visible_to(reviewer).filter(pk=practice.pk).exists()
    assert not Practice.objects.visible_to(other).filter(pk=practice.pk).exists()
    published = actions.do_transition(
        reviewer,
        practice,
        "publish",
        checklist={c: True for c in ["evidence", "legal_basis", "transferability", "contact", "marking"]},
    )
    # RED with nobody named: after publication only the authors see it.
    assert not Practice.objects.visible_to(reviewer).filter(pk=published.pk).exists()


def test_reviewers_see_submissions_of_their_own_topics_only(people):
    """The reviewer clause of a practice's visibility (written as SQL text, `_ReviewedBy`): a
    reviewer of one of a practice's topics sees it while in review; a reviewer of another topic
    does not, nor does a former reviewer, in a list or in a search re-check alike."""
    from enlets.search.base import Hit, check_hits

    author, reviewer, topic = people
    elsewhere = UserFactory()
    other_topic = make_topic("Counter-drone", reviewers=[elsewhere])
    both = make_practice(author, topics=[other_topic, topic], state="submitted", reviewer=reviewer, tlp="RED")
    mine = make_practice(author, topics=[topic], state="submitted", reviewer=reviewer, tlp="RED")
    assert set(Practice.objects.visible_to(reviewer).filter(pk__in=[both.pk, mine.pk])) == {both, mine}
    assert set(Practice.objects.visible_to(elsewhere).filter(pk__in=[both.pk, mine.pk])) == {both}
    hits = [Hit(model="practices.practice", pk=p.pk, title="", snippet_html="", score=1.0) for p in (both, mine)]
    assert [hit.pk for hit in check_hits(elsewhere, hits)[0]] == [both.pk]
    other_topic.reviewers.remove(elsewhere)
    assert not Practice.objects.visible_to(elsewhere).filter(pk__in=[both.pk, mine.pk]).exists()


def test_adoption_and_comment(people):
    author, reviewer, topic = people
    practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    from tests.factories import OrganisationFactory, country

    german = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    adoption = actions.do_record_adoption(german, practice, status="piloting", note="Trial in Bavaria")
    again = actions.do_record_adoption(german, practice, status="adopted")
    assert adoption.pk == again.pk and again.status == "adopted"
    comment = actions.do_add_comment(german, practice, "How long is the retention?")
    assert comment.practice_id == practice.pk
    with pytest.raises(InvalidInput):
        actions.do_add_comment(german, practice, "   ")
