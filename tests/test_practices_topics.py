"""Topic pages: public list and pages whose counts and lists never reveal a hidden practice, and
the management (create, rename with a stable address, merge with redirects, retire) for the Core
Group and the Secretariat only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enlets.core.models import TLP, AuditEvent
from enlets.network.models import Role
from enlets.practices.models import Practice, Subscription, Topic
from tests.factories import UserFactory, country, make_practice, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    reviewer = UserFactory()
    return {
        "author": UserFactory(),
        "reviewer": reviewer,
        "member": UserFactory(),
        "core": UserFactory(role=Role.CORE_GROUP),
        "secretariat": UserFactory(role=Role.SECRETARIAT),
    }


@pytest.fixture
def topic(people):
    return make_topic("Drones", reviewers=[people["reviewer"]])


def practices_in(people, topic) -> dict[str, Practice]:
    """One published practice per marking, plus a draft and a submission that only some see."""
    made = {}
    for tlp, title in ((TLP.CLEAR, "Clear drone practice"), (TLP.GREEN, "Green drone practice")):
        made[tlp] = make_practice(
            people["author"], topics=[topic], state="published", reviewer=people["reviewer"], tlp=tlp, title=title
        )
    made[TLP.RED] = make_practice(
        people["author"],
        topics=[topic],
        state="published",
        reviewer=people["reviewer"],
        tlp=TLP.RED,
        audience={"audience_people": [people["author"]]},
        title="Red drone practice",
    )
    made["draft"] = make_practice(people["author"], topics=[topic], title="Draft drone practice")
    made["submitted"] = make_practice(
        people["author"],
        topics=[topic],
        state="submitted",
        reviewer=people["reviewer"],
        title="Submitted drone practice",
    )
    return made


def count_for(response, topic: Topic) -> int:
    rows = [t for t in (*response.context["active_topics"], *response.context["retired_topics"]) if t.pk == topic.pk]
    return rows[0].practice_count


# --- List and page ---------------------------------------------------------------------------------


def test_list_is_public_with_counts_that_do_not_leak(client, people, topic):
    practices_in(people, topic)
    response = client.get(reverse("practices:topics"))
    assert response.status_code == 200
    assert count_for(response, topic) == 1  # CLEAR only
    page = response.content.decode()
    assert "Drones" in page and "ANPR" in page  # the seeded topics are listed too
    client.force_login(people["member"])
    assert count_for(client.get(reverse("practices:topics")), topic) == 2  # CLEAR and GREEN
    client.force_login(people["author"])
    assert count_for(client.get(reverse("practices:topics")), topic) == 3  # and their RED one; drafts never count
    client.force_login(people["reviewer"])
    # The reviewer sees the submission, but it is not published: not counted.
    assert count_for(client.get(reverse("practices:topics")), topic) == 2


def test_retired_topics_are_listed_apart(client, people, topic):
    old = make_topic("Pagers")
    old.state = Topic.State.RETIRED
    old.save()
    response = client.get(reverse("practices:topics"))
    assert old in response.context["retired_topics"] and old not in response.context["active_topics"]
    assert topic in response.context["active_topics"]
    page = response.content.decode()
    assert page.index("Active topics") < page.index("Drones") < page.index("Retired topics") < page.index("Pagers")


def test_topic_page_for_anonymous_lists_clear_practices_only(client, people, topic):
    practices_in(people, topic)
    topic.description = "Unmanned **aerial** systems."
    topic.lead_country = country("BE")
    topic.save()
    response = client.get(reverse("practices:topic", args=[topic.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Clear drone practice" in page
    for hidden in ("Green drone practice", "Red drone practice", "Draft drone practice", "Submitted drone practice"):
        assert hidden not in page
    assert "1 result" in page
    assert "<strong>aerial</strong>" in page and "Belgium" in page
    assert reverse("practices:summary", args=[topic.slug]) in page
    assert reverse("practices:topic_feed", args=[topic.slug]) in page
    # People's names are for signed-in members.
    assert people["reviewer"].display_name not in page
    assert reverse("practices:topic_edit", args=[topic.slug]) not in page


def test_topic_page_for_members_lists_what_they_see_newest_first(client, people, topic):
    made = practices_in(people, topic)
    Practice.objects.filter(pk=made[TLP.CLEAR].pk).update(published_at=made[TLP.GREEN].published_at.replace(year=2020))
    client.force_login(people["member"])
    page = client.get(reverse("practices:topic", args=[topic.slug])).content.decode()
    assert "2 results" in page
    assert page.index("Green drone practice") < page.index("Clear drone practice")
    assert "Red drone practice" not in page and "Submitted drone practice" not in page
    assert people["reviewer"].display_name in page
    assert reverse("practices:subscriptions") in page


def test_topic_page_paginates(client, people, topic):
    for n in range(22):
        make_practice(
            people["author"],
            topics=[topic],
            state="published",
            reviewer=people["reviewer"],
            tlp=TLP.CLEAR,
            title=f"Practice number {n:02d}",
        )
    first = client.get(reverse("practices:topic", args=[topic.slug])).content.decode()
    second = client.get(reverse("practices:topic", args=[topic.slug]) + "?page=2").content.decode()
    assert "22 results" in first and 'rel="next"' in first
    assert first.count("Practice number") == 20 and second.count("Practice number") == 2


def test_unknown_topic_is_404(client):
    assert client.get(reverse("practices:topic", args=["no-such-topic"])).status_code == 404


# --- Management ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["core", "secretariat"])
def test_managers_create_a_topic(client, people, who):
    client.force_login(people[who])
    assert client.get(reverse("practices:topic_create")).status_code == 200
    response = client.post(
        reverse("practices:topic_create"),
        {
            "name": "Body cameras",
            "description": "Worn by officers.",
            "lead_country": "DE",
            "reviewers": [people["reviewer"].pk],
        },
    )
    topic = Topic.objects.get(name="Body cameras")
    assert response.status_code == 302 and response["Location"] == topic.get_absolute_url()
    assert topic.slug == "body-cameras" and topic.lead_country_id == "DE"
    assert list(topic.reviewers.all()) == [people["reviewer"]]
    assert AuditEvent.objects.filter(action="practices.topic.create", object_id=str(topic.pk)).exists()


def test_create_names_the_problems(client, people, topic):
    client.force_login(people["core"])
    response = client.post(reverse("practices:topic_create"), {"name": "drones"})
    assert response.status_code == 200
    assert "There is already a topic named drones." in response.content.decode() or "Choose another name." in (
        response.content.decode()
    )
    outsider = UserFactory(role=Role.EXTERNAL_PARTNER)
    response = client.post(reverse("practices:topic_create"), {"name": "Lasers", "reviewers": [outsider.pk]})
    assert response.status_code == 200 and not Topic.objects.filter(name="Lasers").exists()


def test_rename_keeps_the_address(client, people, topic):
    client.force_login(people["core"])
    url = reverse("practices:topic_edit", args=[topic.slug])
    page = client.get(url).content.decode()
    assert 'value="Drones"' in page and 'name="slug"' not in page
    response = client.post(
        url, {"name": "Unmanned aerial systems", "description": "", "reviewers": [people["reviewer"].pk]}
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.name == "Unmanned aerial systems" and topic.slug == "drones"
    assert client.get(reverse("practices:topic", args=["drones"])).status_code == 200
    assert AuditEvent.objects.filter(action="practices.topic.update", object_id=str(topic.pk)).exists()


def test_merge_moves_practices_and_subscriptions_and_redirects(client, people, topic):
    target = make_topic("Counter-drone", reviewers=[])
    made = practices_in(people, topic)
    follower = UserFactory()
    Subscription.objects.create(user=follower, topic=topic)
    client.force_login(people["core"])
    url = reverse("practices:topic_merge", args=[topic.slug])
    assert client.get(url).status_code == 200
    # First the choice, then the confirmation page: nothing moves yet.
    response = client.post(url, {"target": target.pk})
    assert response.status_code == 200 and "Merge the topics" in response.content.decode()
    assert Topic.objects.get(pk=topic.pk).merged_into_id is None
    response = client.post(url, {"target": target.pk, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()
    topic.refresh_from_db()
    assert topic.merged_into_id == target.pk and topic.state == Topic.State.RETIRED
    for practice in made.values():
        assert list(practice.topics.all()) == [target]
    assert Subscription.objects.get(user=follower).topic_id == target.pk
    assert people["reviewer"] in target.reviewers.all()
    old = client.get(reverse("practices:topic", args=[topic.slug]))
    assert old.status_code == 301 and old["Location"] == target.get_absolute_url()
    assert AuditEvent.objects.filter(action="practices.topic.merge", object_id=str(topic.pk)).exists()
    # A chain of merges leads to the end of the chain.
    last = make_topic("Airspace")
    client.post(reverse("practices:topic_merge", args=[target.slug]), {"target": last.pk, "confirm": "yes"})
    assert client.get(reverse("practices:topic", args=[topic.slug]))["Location"] == last.get_absolute_url()


def test_merge_refuses_a_retired_target_and_itself(client, people, topic):
    retired = make_topic("Old stuff")
    retired.state = Topic.State.RETIRED
    retired.save()
    client.force_login(people["core"])
    url = reverse("practices:topic_merge", args=[topic.slug])
    for target in (retired, topic):
        response = client.post(url, {"target": target.pk, "confirm": "yes"})
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Topic.objects.get(pk=topic.pk).merged_into_id is None


def test_retire_and_reactivate_after_confirmation(client, people, topic):
    client.force_login(people["secretariat"])
    url = reverse("practices:topic_retire", args=[topic.slug])
    page = client.get(url).content.decode()
    assert "Retire the topic" in page
    assert Topic.objects.get(pk=topic.pk).is_active
    assert client.post(url).status_code == 302
    assert Topic.objects.get(pk=topic.pk).state == Topic.State.RETIRED
    assert "Reactivate the topic" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert Topic.objects.get(pk=topic.pk).is_active
    assert AuditEvent.objects.filter(action="practices.topic.retire", object_id=str(topic.pk)).exists()
    assert AuditEvent.objects.filter(action="practices.topic.reactivate", object_id=str(topic.pk)).exists()


def test_a_merged_topic_cannot_be_reactivated(client, people, topic):
    target = make_topic("Target")
    client.force_login(people["core"])
    client.post(reverse("practices:topic_merge", args=[topic.slug]), {"target": target.pk, "confirm": "yes"})
    response = client.post(reverse("practices:topic_retire", args=[topic.slug]))
    assert response.status_code == 400 and "cannot be reactivated" in response.content.decode()
    assert Topic.objects.get(pk=topic.pk).state == Topic.State.RETIRED


@pytest.mark.parametrize("who", ["member", "reviewer", "author"])
def test_only_managers_manage_topics(client, people, topic, who):
    client.force_login(people[who])
    events = AuditEvent.objects.count()
    urls = [
        reverse("practices:topic_create"),
        reverse("practices:topic_edit", args=[topic.slug]),
        reverse("practices:topic_merge", args=[topic.slug]),
        reverse("practices:topic_retire", args=[topic.slug]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Hijack", "target": topic.pk, "confirm": "yes"}).status_code == 403
    topic.refresh_from_db()
    assert topic.name == "Drones" and topic.is_active and not Topic.objects.filter(name="Hijack").exists()
    assert AuditEvent.objects.count() == events
    page = client.get(reverse("practices:topic", args=[topic.slug])).content.decode()
    assert reverse("practices:topic_edit", args=[topic.slug]) not in page
    assert reverse("practices:topic_create") not in client.get(reverse("practices:topics")).content.decode()


def test_anonymous_is_asked_to_sign_in_for_management(client, topic):
    for url in (reverse("practices:topic_create"), reverse("practices:topic_retire", args=[topic.slug])):
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Topic.objects.get(pk=topic.pk).is_active


def test_managers_see_the_buttons(client, people, topic):
    client.force_login(people["core"])
    page = client.get(reverse("practices:topic", args=[topic.slug])).content.decode()
    for name in ("topic_edit", "topic_merge", "topic_retire"):
        assert reverse(f"practices:{name}", args=[topic.slug]) in page
    assert reverse("practices:topic_create") in client.get(reverse("practices:topics")).content.decode()
