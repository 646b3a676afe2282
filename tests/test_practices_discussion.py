"""Adoption statements and comment threads on practices: who may write them, and that they are
never more visible than the practice they hang off."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from enlets.core.errors import InvalidInput, NotAllowed
from enlets.core.models import TLP, AuditEvent, Notification
from enlets.network.models import Role
from enlets.practices import actions, workflow
from enlets.practices.models import Adoption, Comment, Practice
from tests.factories import OrganisationFactory, UserFactory, country, make_practice, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    reviewer = UserFactory()
    topic = make_topic("Discussion topic", reviewers=[reviewer])
    de = OrganisationFactory(country=country("DE"))
    return {
        "author": UserFactory(),  # NL
        "reviewer": reviewer,
        "nl_reader": UserFactory(),
        "nl_reader2": UserFactory(),
        "de_reader": UserFactory(organisation=de),
        "outsider": UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind="industry")),
        "core": UserFactory(role=Role.CORE_GROUP),
        "topic": topic,
    }


def published(people, **kwargs) -> Practice:
    return make_practice(
        people["author"], topics=[people["topic"]], state="published", reviewer=people["reviewer"], **kwargs
    )


def render_partial(template: str, user, practice: Practice) -> str:
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


# --- Adoption ---------------------------------------------------------------------------------------


def test_one_statement_per_country_later_replaces_earlier(people):
    practice = published(people)
    actions.do_record_adoption(people["nl_reader"], practice, status="interested", note="Looking at it.")
    actions.do_record_adoption(people["nl_reader2"], practice, status="piloting", note="Pilot in Utrecht.")
    actions.do_record_adoption(people["de_reader"], practice, status="adopted")
    rows = {a.country_id: a for a in Adoption.objects.filter(practice=practice)}
    assert set(rows) == {"NL", "DE"}
    assert rows["NL"].status == "piloting" and rows["NL"].note == "Pilot in Utrecht."
    assert rows["NL"].recorded_by_id == people["nl_reader2"].pk
    # The audit keeps both statements of NL.
    assert AuditEvent.objects.filter(action="practices.adoption.record", object_id=str(practice.pk)).count() == 3


def test_adoption_through_the_page_record_replace_withdraw(client, people):
    practice = published(people)
    url = reverse("practices:adoption", args=[practice.pk])
    client.force_login(people["de_reader"])
    response = client.post(url, {"action": "record", "status": "interested", "note": "Asking our lawyers."})
    assert response.status_code == 302 and response["Location"].endswith("#adoption")
    client.post(url, {"action": "record", "status": "adopted", "note": "In use since May."})
    adoption = Adoption.objects.get(practice=practice)
    assert (adoption.country_id, adoption.status, adoption.note) == ("DE", "adopted", "In use since May.")
    assert Notification.objects.filter(recipient=people["author"], verb="practices.adoption").exists()
    client.post(url, {"action": "remove"})
    assert not Adoption.objects.filter(practice=practice).exists()
    assert AuditEvent.objects.filter(action="practices.adoption.remove", object_id=str(practice.pk)).exists()


def test_bad_status_is_named_and_changes_nothing(client, people):
    practice = published(people)
    client.force_login(people["de_reader"])
    response = client.post(reverse("practices:adoption", args=[practice.pk]), {"status": "bought"}, follow=False)
    assert response.status_code == 302
    assert not Adoption.objects.exists()
    with pytest.raises(InvalidInput):
        actions.do_record_adoption(people["de_reader"], practice, status="bought")


def test_only_another_country_may_withdraw_its_own_statement(people):
    practice = published(people)
    adoption = actions.do_record_adoption(people["de_reader"], practice, status="piloting")
    with pytest.raises(NotAllowed):
        actions.do_remove_adoption(people["nl_reader"], adoption)
    assert Adoption.objects.filter(pk=adoption.pk).exists()


@pytest.mark.parametrize("state", ["submitted", "in_review", "archived"])
def test_adoption_only_for_published_practices(client, people, state):
    practice = make_practice(people["author"], topics=[people["topic"]], state=state, reviewer=people["reviewer"])
    with pytest.raises(NotAllowed):
        actions.do_record_adoption(people["reviewer"], practice, status="interested")
    client.force_login(people["reviewer"] if state != "archived" else people["de_reader"])
    response = client.post(reverse("practices:adoption", args=[practice.pk]), {"status": "interested"})
    assert response.status_code == 403
    assert not Adoption.objects.exists()


def test_adoption_only_by_community_members(client, people):
    practice = published(people, tlp=TLP.CLEAR)
    outsider = people["outsider"]
    with pytest.raises(NotAllowed):
        actions.do_record_adoption(outsider, practice, status="adopted")
    client.force_login(outsider)
    assert client.post(reverse("practices:adoption", args=[practice.pk]), {"status": "adopted"}).status_code == 403
    assert not Adoption.objects.exists()
    # They see where it spread, but get no form.
    actions.do_record_adoption(people["de_reader"], practice, status="adopted", note="Everywhere in Bavaria.")
    html = render_partial("practices/_adoption.html", outsider, practice)
    assert "Germany" in html and "Everywhere in Bavaria." in html
    assert 'name="status"' not in html


def test_adoption_is_404_for_an_invisible_practice_and_sign_in_for_anonymous(client, people):
    practice = published(people)  # GREEN: the external partner does not see it
    url = reverse("practices:adoption", args=[practice.pk])
    response = client.post(url, {"status": "interested"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["outsider"])
    assert client.post(url, {"status": "interested"}).status_code == 404
    with pytest.raises(NotAllowed):
        actions.do_record_adoption(people["outsider"], practice, status="interested")
    red = published(people, tlp=TLP.RED, audience={"audience_people": [people["author"]]}, title="Red one")
    client.force_login(people["nl_reader"])
    assert client.post(reverse("practices:adoption", args=[red.pk]), {"status": "interested"}).status_code == 404
    assert not Adoption.objects.exists()


def test_adoption_form_is_prefilled_with_my_countrys_statement(people):
    practice = published(people)
    actions.do_record_adoption(people["nl_reader"], practice, status="piloting", note="Pilot in <b>Utrecht</b>.")
    html = render_partial("practices/_adoption.html", people["nl_reader2"], practice)
    assert '<option value="piloting" selected>' in html
    assert "Pilot in &lt;b&gt;Utrecht&lt;/b&gt;." in html and "<b>Utrecht" not in html
    assert "Withdraw our statement" in html
    other = render_partial("practices/_adoption.html", people["de_reader"], practice)
    assert "selected" not in other and "Withdraw our statement" not in other
    # The three options are exactly the model's statuses.
    assert all(f'value="{value}"' in html for value in Adoption.Status.values)


# --- Comments ---------------------------------------------------------------------------------------


def test_comment_through_the_page_notifies_and_anchors(client, people):
    practice = published(people)
    client.force_login(people["nl_reader"])
    response = client.post(reverse("practices:comment_add", args=[practice.pk]), {"body": "Which cameras?"})
    comment = Comment.objects.get(practice=practice)
    assert response.status_code == 302
    assert response["Location"] == f"{practice.get_absolute_url()}#comment-{comment.pk}"
    note = Notification.objects.get(recipient=people["author"], verb="practices.comment")
    assert note.url.endswith(f"#comment-{comment.pk}")
    html = render_partial("practices/_comments.html", people["de_reader"], practice)
    assert f'id="comment-{comment.pk}"' in html and "Which cameras?" in html


def test_empty_comment_is_named(client, people):
    practice = published(people)
    client.force_login(people["nl_reader"])
    response = client.post(reverse("practices:comment_add", args=[practice.pk]), {"body": "   "})
    assert response.status_code == 200
    assert "The comment is empty." in response.content.decode()
    assert not Comment.objects.exists()


def test_replies_are_one_level_and_rendered_nested(client, people):
    practice = published(people)
    top = actions.do_add_comment(people["nl_reader"], practice, "Top level")
    client.force_login(people["de_reader"])
    client.post(reverse("practices:comment_add", args=[practice.pk]), {"body": "A reply", "parent": top.pk})
    reply = Comment.objects.get(body="A reply")
    client.post(
        reverse("practices:comment_add", args=[practice.pk]), {"body": "Reply to the reply", "parent": reply.pk}
    )
    deeper = Comment.objects.get(body="Reply to the reply")
    assert reply.parent_id == top.pk and deeper.parent_id == top.pk
    html = render_partial("practices/_comments.html", people["author"], practice)
    start = html.index(f'id="comment-{top.pk}"')
    replies = html.index('class="replies"', start)
    assert start < replies < html.index(f'id="comment-{reply.pk}"') < html.index(f'id="comment-{deeper.pk}"')
    # Every comment appears once (replies are not repeated at the top level).
    assert html.count("Reply to the reply") == 1
    # The parent that the reply replies to gets told too.
    assert Notification.objects.filter(recipient=people["nl_reader"], verb="practices.comment").exists()


def test_a_comment_of_another_practice_cannot_be_used_as_parent_or_edited_here(client, people):
    practice, other = published(people), published(people, title="Other")
    foreign = actions.do_add_comment(people["nl_reader"], other, "Elsewhere")
    client.force_login(people["nl_reader"])
    assert (
        client.post(
            reverse("practices:comment_add", args=[practice.pk]), {"body": "x", "parent": foreign.pk}
        ).status_code
        == 404
    )
    assert client.get(reverse("practices:comment_edit", args=[practice.pk, foreign.pk])).status_code == 404
    assert client.post(reverse("practices:comment_remove", args=[practice.pk, foreign.pk])).status_code == 404
    assert not Comment.objects.filter(practice=practice).exists()
    assert Comment.objects.get(pk=foreign.pk).removed_at is None


@pytest.mark.parametrize("case", ["green_outsider", "red_member", "draft_member"])
def test_comments_are_never_more_visible_than_the_practice(client, people, case):
    if case == "green_outsider":
        practice, stranger = published(people), people["outsider"]
    elif case == "red_member":
        practice = published(people, tlp=TLP.RED, audience={"audience_people": [people["author"], people["nl_reader"]]})
        stranger = people["de_reader"]
    else:
        practice = make_practice(
            people["author"], topics=[people["topic"]], state="submitted", reviewer=people["reviewer"]
        )
        stranger = people["nl_reader"]
    writer = people["reviewer"] if case == "draft_member" else people["author"]
    secret = "SECRET-COMMENT-TEXT-4711"
    comment = actions.do_add_comment(writer, practice, secret)
    client.force_login(stranger)
    urls = [
        reverse("practices:comment_add", args=[practice.pk]),
        reverse("practices:comment_add", args=[practice.pk]) + f"?parent={comment.pk}",
        reverse("practices:comment_edit", args=[practice.pk, comment.pk]),
        reverse("practices:comment_remove", args=[practice.pk, comment.pk]),
    ]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url, {"body": "mine", "parent": comment.pk} if method == client.post else None)
            assert response.status_code == 404, url
            assert secret not in response.content.decode()
    for url in (
        reverse("practices:detail", args=[practice.pk]),
        reverse("practices:list"),
        reverse("practices:topics"),
        reverse("practices:topic", args=[people["topic"].slug]),
        reverse("notifications") if _has_inbox() else reverse("practices:topics"),
    ):
        response = client.get(url)
        assert secret not in response.content.decode()
    assert Comment.objects.filter(practice=practice).count() == 1
    assert Comment.objects.get(pk=comment.pk).removed_at is None
    assert not Notification.objects.filter(recipient=stranger).exists()
    with pytest.raises(NotAllowed):
        actions.do_add_comment(stranger, practice, "let me in")
    with pytest.raises(NotAllowed):
        actions.do_remove_comment(stranger, comment)


def _has_inbox() -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse("notifications")
    except NoReverseMatch:
        return False
    return True


def test_comment_pages_ask_anonymous_to_sign_in_whether_or_not_it_exists(client, people):
    practice = published(people)
    comment = actions.do_add_comment(people["nl_reader"], practice, "Hello")
    for url in (
        reverse("practices:comment_add", args=[practice.pk]),
        reverse("practices:comment_edit", args=[practice.pk, comment.pk]),
        reverse("practices:comment_remove", args=[practice.pk, comment.pk]),
        reverse("practices:comment_remove", args=[999999, 999999]),
    ):
        response = client.post(url, {"body": "anon"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Comment.objects.count() == 1


def test_anonymous_reads_comments_of_a_clear_practice_but_gets_no_form(people):
    from django.contrib.auth.models import AnonymousUser

    practice = published(people, tlp=TLP.CLEAR)
    actions.do_add_comment(people["nl_reader"], practice, "Public remark")
    html = render_partial("practices/_comments.html", AnonymousUser(), practice)
    assert "Public remark" in html and 'name="body"' not in html and "Sign in" in html


def test_markdown_in_comments_is_sanitised(client, people):
    practice = published(people)
    body = (
        "<script>alert('x')</script> **bold** [link](javascript:alert(1)) "
        '<img src=x onerror="alert(2)"> [ok](https://example.org)'
    )
    client.force_login(people["nl_reader"])
    client.post(reverse("practices:comment_add", args=[practice.pk]), {"body": body})
    html = render_partial("practices/_comments.html", people["author"], practice)
    # Raw HTML is shown as text, never as markup; a javascript: link is never a link.
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and "<img" not in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html
    # The edit page shows the raw text escaped, never as markup.
    comment = Comment.objects.get(practice=practice)
    page = client.get(reverse("practices:comment_edit", args=[practice.pk, comment.pk])).content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page


def test_only_the_author_edits_a_comment(client, people):
    practice = published(people)
    comment = actions.do_add_comment(people["nl_reader"], practice, "First words")
    url = reverse("practices:comment_edit", args=[practice.pk, comment.pk])
    for who in ("author", "core", "de_reader"):
        client.force_login(people[who])
        assert client.get(url).status_code == 403
        assert client.post(url, {"body": "hijacked"}).status_code == 403
    assert Comment.objects.get(pk=comment.pk).body == "First words"
    client.force_login(people["nl_reader"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"body": "Better words"})
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.body == "Better words" and comment.edited_at is not None
    assert AuditEvent.objects.filter(action="practices.comment.update", object_id=str(practice.pk)).exists()
    html = render_partial("practices/_comments.html", people["de_reader"], practice)
    assert "(edited)" in html


@pytest.mark.parametrize(
    ("who", "allowed"), [("nl_reader", True), ("author", True), ("core", True), ("de_reader", False)]
)
def test_remove_rights_and_confirmation(client, people, who, allowed):
    practice = published(people)
    comment = actions.do_add_comment(people["nl_reader"], practice, "Removable words")
    reply = actions.do_add_comment(people["de_reader"], practice, "A reply that stays", parent=comment)
    url = reverse("practices:comment_remove", args=[practice.pk, comment.pk])
    client.force_login(people[who])
    response = client.get(url)
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        assert "Remove this comment?" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).removed_at is None  # the confirmation page changes nothing
    response = client.post(url)
    assert response.status_code == (302 if allowed else 403)
    comment.refresh_from_db()
    assert (comment.removed_at is not None) is allowed
    if allowed:
        html = render_partial("practices/_comments.html", people["de_reader"], practice)
        assert "Comment removed." in html and "Removable words" not in html
        assert "A reply that stays" in html and f'id="comment-{reply.pk}"' in html
        assert AuditEvent.objects.filter(action="practices.comment.remove", object_id=str(practice.pk)).exists()
        # A removed comment is edited by nobody.
        client.force_login(people["nl_reader"])
        assert (
            client.post(reverse("practices:comment_edit", args=[practice.pk, comment.pk]), {"body": "back"}).status_code
            == 403
        )


def test_remove_and_edit_links_follow_the_rights(people):
    practice = published(people)
    comment = actions.do_add_comment(people["nl_reader"], practice, "Words")
    edit = reverse("practices:comment_edit", args=[practice.pk, comment.pk])
    remove = reverse("practices:comment_remove", args=[practice.pk, comment.pk])
    mine = render_partial("practices/_comments.html", people["nl_reader"], practice)
    assert edit in mine and remove in mine
    owner = render_partial("practices/_comments.html", people["author"], practice)
    assert edit not in owner and remove in owner
    other = render_partial("practices/_comments.html", people["de_reader"], practice)
    assert edit not in other and remove not in other
