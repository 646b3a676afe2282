"""The in-app notification inbox: only one's own notifications, unread first, opened and marked
read, "mark all read", and the unread count for the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils import timezone

from enlets import urls as root_urls
from enlets.core import notifications
from enlets.core.models import Notification
from enlets.practices import actions
from tests.factories import UserFactory, make_practice, make_topic

# The inbox's URL patterns, as the lead adds them to enlets/urls.py (see enlets/core/notifications.py);
# declared here too so these tests run before and after that change.
urlpatterns = [
    *root_urls.urlpatterns,
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_notifications")]


def note(user, text: str, *, url: str = "/practices/1/", read: bool = False, minutes_ago: int = 0) -> Notification:
    return Notification.objects.create(
        recipient=user,
        verb="test",
        text=text,
        url=url,
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        read_at=timezone.now() if read else None,
    )


def test_inbox_asks_anonymous_to_sign_in(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("notifications_read_all")).status_code == 302


def test_inbox_lists_only_mine_unread_first_then_newest(client):
    me, other = UserFactory(), UserFactory()
    note(me, "old unread", minutes_ago=30)
    note(me, "new read", read=True, minutes_ago=1)
    note(me, "new unread", minutes_ago=5)
    note(me, "oldest read", read=True, minutes_ago=60)
    note(other, "someone else's news")
    client.force_login(me)
    page = client.get(reverse("notifications")).content.decode()
    assert "someone else" not in page
    order = [page.index(t) for t in ("new unread", "old unread", "new read", "oldest read")]
    assert order == sorted(order)
    assert "2 unread." in page and "4 results" in page
    assert "Mark all read" in page


def test_inbox_empty_state(client):
    client.force_login(UserFactory())
    page = client.get(reverse("notifications")).content.decode()
    assert "No notifications yet." in page and "Mark all read" not in page


def test_inbox_paginates(client):
    me = UserFactory()
    for n in range(30):
        note(me, f"message {n:02d}", minutes_ago=n)
    client.force_login(me)
    first = client.get(reverse("notifications")).content.decode()
    second = client.get(reverse("notifications") + "?page=2").content.decode()
    assert "30 results" in first and first.count("message ") == 25 and second.count("message ") == 5
    assert "message 00" in first and "message 29" in second


def test_opening_marks_read_and_follows_the_link(client):
    me = UserFactory()
    n = note(me, "Look at this", url="/practices/42/#comment-7")
    client.force_login(me)
    response = client.get(reverse("notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/practices/42/#comment-7"
    n.refresh_from_db()
    assert n.read_at is not None
    first_read = n.read_at
    client.get(reverse("notification_open", args=[n.pk]))
    n.refresh_from_db()
    assert n.read_at == first_read  # opening again keeps the first reading time


def test_another_persons_notification_is_404_and_stays_unread(client):
    me, other = UserFactory(), UserFactory()
    theirs = note(other, "Not yours")
    client.force_login(me)
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notification_open", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("url", ["https://evil.example/phish", "//evil.example/x", "", "javascript:alert(1)"])
def test_only_links_inside_the_platform_are_followed(client, url):
    me = UserFactory()
    n = note(me, "odd link", url=url)
    client.force_login(me)
    response = client.get(reverse("notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications")


def test_mark_all_read_is_a_post_and_touches_only_mine(client):
    me, other = UserFactory(), UserFactory()
    mine = [note(me, "a"), note(me, "b")]
    theirs = note(other, "c")
    client.force_login(me)
    assert client.get(reverse("notifications_read_all")).status_code == 405
    assert Notification.objects.filter(recipient=me, read_at__isnull=True).count() == 2
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("notifications")
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_unread_count_context_processor():
    me = UserFactory()
    note(me, "one")
    note(me, "two")
    note(me, "three", read=True)
    note(UserFactory(), "not mine")
    request = RequestFactory().get("/")
    request.user = me
    assert notifications.unread_notifications(request) == {"unread_notification_count": 2}
    request.user = AnonymousUser()
    assert notifications.unread_notifications(request) == {"unread_notification_count": 0}


def test_workflow_notifications_reach_the_inbox_escaped(client):
    author, reviewer = UserFactory(), UserFactory()
    topic = make_topic("Inbox topic", reviewers=[reviewer])
    practice = make_practice(author, topics=[topic], title="<script>alert(1)</script> cameras")
    actions.do_transition(author, practice, "submit")
    client.force_login(reviewer)
    page = client.get(reverse("notifications")).content.decode()
    assert "submitted “&lt;script&gt;alert(1)&lt;/script&gt; cameras” for review" in page
    assert "<script>alert(1)" not in page
    n = Notification.objects.get(recipient=reviewer, verb="practices.submit")
    assert client.get(reverse("notification_open", args=[n.pk]))["Location"] == practice.get_absolute_url()
    # The author, who did it, is not told.
    client.force_login(author)
    assert "No notifications yet." in client.get(reverse("notifications")).content.decode()
