import pytest


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_member_states_are_seeded():
    from enlets.network.models import Country

    assert Country.objects.filter(is_member_state=True).count() == 27


@pytest.mark.django_db
def test_dashboard_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_signed_in_member_sees_dashboard(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert b"What is new for you" in response.content


@pytest.mark.django_db
def test_navigation_shows_only_what_the_person_may_use(client):
    from enlets.network.models import Role
    from tests.factories import UserFactory

    member = UserFactory(role=Role.MEMBER)
    client.force_login(member)
    page = client.get("/").content.decode()
    assert 'href="/network/invitations/"' not in page
    assert 'href="/audit/"' not in page
    assert 'href="/network/settings/profile/"' in page

    ncp = UserFactory(role=Role.NCP)
    client.force_login(ncp)
    page = client.get("/").content.decode()
    assert 'href="/network/invitations/"' in page
    assert 'href="/network/vetting/"' in page

    auditor = UserFactory(role=Role.CORE_GROUP)
    client.force_login(auditor)
    assert 'href="/audit/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_sign_in_page_says_invitation_only_and_offers_no_sign_up(client):
    page = client.get("/accounts/login/").content.decode()
    assert "invitation only" in page
    assert "sign up" not in page.lower()
    assert "/accounts/password/reset/" in page
