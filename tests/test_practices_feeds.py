"""Atom feeds, personal feed tokens and the subscription pages.

A feed never carries a stricter item than its reader may see: the public and topic feeds carry
TLP:CLEAR only, a personal feed what its owner may see; a revoked token, an unknown one and a
deactivated owner's all answer 404. Assertions are on the feed's text.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from enlets.core.models import AuditEvent
from enlets.practices import actions
from enlets.practices.models import FeedToken, Subscription
from tests.factories import OrganisationFactory, UserFactory, country, make_practice, make_topic

pytestmark = pytest.mark.django_db

CLEAR_TITLE = "Clear feed practice"
GREEN_TITLE = "Green feed practice"
AMBER_TITLE = "Amber feed practice"
OTHER_TOPIC_TITLE = "Clear practice elsewhere"


@pytest.fixture
def world():
    reviewer = UserFactory()
    topic = make_topic("Feed ANPR", reviewers=[reviewer])
    other = make_topic("Feed OSINT", reviewers=[reviewer])
    author = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    common = {"state": "published", "reviewer": reviewer}
    make_practice(author, topics=[topic], tlp="CLEAR", title=CLEAR_TITLE, **common)
    green = make_practice(author, topics=[topic], tlp="GREEN", title=GREEN_TITLE, **common)
    amber = make_practice(
        author,
        topics=[topic],
        tlp="AMBER",
        audience={"audience_countries": [country("DE")]},
        title=AMBER_TITLE,
        **common,
    )
    make_practice(author, topics=[other], tlp="CLEAR", title=OTHER_TOPIC_TITLE, **common)
    make_practice(author, topics=[topic], tlp="CLEAR", title="Clear draft practice")
    insider = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    outsider = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    return {
        "topic": topic,
        "other": other,
        "author": author,
        "green": green,
        "amber": amber,
        "insider": insider,
        "outsider": outsider,
    }


def feed_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/atom+xml")
    return response.content.decode()


def test_public_feed_carries_clear_only(client, world):
    text = feed_text(client.get(reverse("practices:feed")))
    assert CLEAR_TITLE in text and OTHER_TOPIC_TITLE in text
    assert GREEN_TITLE not in text and AMBER_TITLE not in text and "Clear draft practice" not in text
    assert "TLP:CLEAR" in text and "TLP:GREEN" not in text and "TLP:AMBER" not in text
    assert "<feed" in text and "<entry>" in text


def test_public_feed_is_clear_even_for_signed_in_people(client, world):
    # The public feed's content does not depend on who asks (it may be cached and shared).
    client.force_login(world["insider"])
    text = feed_text(client.get(reverse("practices:feed")))
    assert AMBER_TITLE not in text and GREEN_TITLE not in text


def test_topic_feed(client, world):
    text = feed_text(client.get(reverse("practices:topic_feed", args=[world["topic"].slug])))
    assert CLEAR_TITLE in text and OTHER_TOPIC_TITLE not in text
    assert GREEN_TITLE not in text and AMBER_TITLE not in text
    assert client.get(reverse("practices:topic_feed", args=["no-such-topic"])).status_code == 404


def test_feed_is_newest_first_and_bounded(client, world):
    from enlets.practices.feeds import FEED_SIZE

    text = feed_text(client.get(reverse("practices:feed")))
    # OTHER_TOPIC_TITLE was published after CLEAR_TITLE.
    assert text.index(OTHER_TOPIC_TITLE) < text.index(CLEAR_TITLE)
    assert FEED_SIZE == 50


def personal_url(secret: str, **query) -> str:
    url = reverse("practices:personal_feed", args=[secret])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_personal_feed_carries_what_its_owner_may_see(client, world):
    _token, secret = actions.do_create_feed_token(world["insider"])
    response = client.get(personal_url(secret))
    text = feed_text(response)
    assert CLEAR_TITLE in text and GREEN_TITLE in text and AMBER_TITLE in text
    assert "TLP:AMBER" in text
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # The AMBER delivery is audited: one event per fetch naming the practices.
    event = AuditEvent.objects.get(action="practices.feed_token.read")
    assert event.changes == {"practices": [world["amber"].pk]} and event.actor_id == world["insider"].pk

    _token, outsider_secret = actions.do_create_feed_token(world["outsider"])
    text = feed_text(client.get(personal_url(outsider_secret)))
    assert GREEN_TITLE in text and AMBER_TITLE not in text and "TLP:AMBER" not in text


def test_personal_feed_topic_filter(client, world):
    _token, secret = actions.do_create_feed_token(world["insider"])
    text = feed_text(client.get(personal_url(secret, topic=world["other"].slug)))
    assert OTHER_TOPIC_TITLE in text and CLEAR_TITLE not in text and AMBER_TITLE not in text
    assert client.get(personal_url(secret, topic="no-such-topic")).status_code == 404


def test_personal_feed_follows_marking_changes(client, world):
    _token, secret = actions.do_create_feed_token(world["outsider"])
    assert GREEN_TITLE in feed_text(client.get(personal_url(secret)))
    actions.do_update_practice(world["author"], world["green"], tlp="RED", audience={}, note="Tightened")
    assert GREEN_TITLE not in feed_text(client.get(personal_url(secret)))


def test_revoked_unknown_and_deactivated_tokens_answer_404(client, world):
    token, secret = actions.do_create_feed_token(world["insider"])
    assert client.get(personal_url(secret)).status_code == 200
    actions.do_revoke_feed_token(world["insider"], token)
    revoked = client.get(personal_url(secret))
    unknown = client.get(personal_url("feed_" + "x" * 43))
    garbage = client.get(personal_url("not-a-token"))
    assert revoked.status_code == unknown.status_code == garbage.status_code == 404
    assert AMBER_TITLE not in revoked.content.decode()

    _token, secret2 = actions.do_create_feed_token(world["insider"])
    world["insider"].is_active = False
    world["insider"].save()
    assert client.get(personal_url(secret2)).status_code == 404


# --- Pages -----------------------------------------------------------------------------------------


def test_pages_need_sign_in(client):
    for name in ("practices:subscriptions", "practices:feed_tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_feed_token_page_create_shows_secret_once_and_revoke(client, world):
    user = world["insider"]
    client.force_login(user)
    url = reverse("practices:feed_tokens")
    assert "You have no personal feed address" in client.get(url).content.decode()
    response = client.post(url, {"action": "create"})
    text = response.content.decode()
    token = FeedToken.objects.get(user=user)
    # The full address, with the secret, is shown in this response...
    marker = "/practices/feed/feed_"
    assert marker in text
    secret = text.split(marker, 1)[1].split(".atom", 1)[0]
    assert actions.authenticate_feed_token("feed_" + secret) == user
    # ...and never again.
    assert secret not in client.get(url).content.decode()
    # Revoking asks first, then revokes.
    confirm = client.get(url, {"revoke": token.pk}).content.decode()
    assert "Revoke this feed address?" in confirm
    response = client.post(url, {"action": "revoke", "token": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(personal_url("feed_" + secret)).status_code == 404


def test_cannot_revoke_someone_elses_token(client, world):
    token, _secret = actions.do_create_feed_token(world["outsider"])
    client.force_login(world["insider"])
    url = reverse("practices:feed_tokens")
    assert client.post(url, {"action": "revoke", "token": token.pk}).status_code == 404
    assert client.get(url, {"revoke": token.pk}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_subscriptions_page_add_change_remove(client, world):
    user = world["insider"]
    client.force_login(user)
    url = reverse("practices:subscriptions")
    assert "You follow nothing yet" in client.get(url).content.decode()
    preselected = client.get(url, {"topic": world["topic"].slug}).content.decode()
    assert f'<option value="{world["topic"].pk}" selected>' in preselected
    response = client.post(url, {"action": "add", "topic": world["topic"].pk, "frequency": "daily"})
    assert response.status_code == 302
    response = client.post(url, {"action": "add", "country": "DE", "frequency": "weekly"})
    assert response.status_code == 302
    subs = {(s.topic_id, s.country_id, s.frequency) for s in Subscription.objects.filter(user=user)}
    assert subs == {(world["topic"].pk, None, "daily"), (None, "DE", "weekly")}
    text = client.get(url).content.decode()
    assert world["topic"].name in text and "Germany" in text

    # Neither a topic nor a country: refused with the reason, nothing written.
    response = client.post(url, {"action": "add", "frequency": "daily"})
    assert response.status_code == 200 and "Choose a topic or a country" in response.content.decode()
    assert Subscription.objects.filter(user=user).count() == 2

    sub = Subscription.objects.get(user=user, country="DE")
    client.post(url, {"action": "frequency", "subscription": sub.pk, "frequency": "daily"})
    sub.refresh_from_db()
    assert sub.frequency == "daily"
    client.post(url, {"action": "remove", "subscription": sub.pk})
    assert not Subscription.objects.filter(pk=sub.pk).exists()

    # Someone else's subscription is not found.
    theirs = actions.do_subscribe(world["outsider"], topic=world["topic"])
    assert client.post(url, {"action": "remove", "subscription": theirs.pk}).status_code == 404
    assert Subscription.objects.filter(pk=theirs.pk).exists()


def test_feed_summary_is_text_not_markup(client, world):
    from enlets.practices.models import Practice

    Practice.objects.filter(title=CLEAR_TITLE).update(summary="Cameras <script>alert(1)</script> & more")
    text = feed_text(client.get(reverse("practices:feed")))
    # Escaped once for HTML, once for XML: a reader shows the characters, never runs them.
    assert "&amp;lt;script&amp;gt;" in text and "<script>" not in text and "&lt;script&gt;" not in text
