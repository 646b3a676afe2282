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
