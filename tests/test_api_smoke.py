"""API v1 smoke: every GET operation in the OpenAPI document, for several roles, answers a documented
status with JSON of the documented shape (a schemathesis-free walk of the schema)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enlets.core.models import TLP
from enlets.documents.actions import do_add_attachment
from enlets.network.models import Organisation, Role
from tests.factories import (
    InterestGroupFactory,
    OrganisationFactory,
    UserFactory,
    join,
    make_document,
    make_practice,
    make_topic,
)
from tests.test_api_helpers import API, as_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.mark.parametrize("role", [Role.MEMBER, Role.EXTERNAL_PARTNER, Role.ADMINISTRATOR, "unvetted"])
def test_every_get_operation_answers_json_for_every_role(client, role):
    owner = UserFactory()
    group = InterestGroupFactory(slug="smoke")
    join(owner, group, chair=True)
    document = make_document(owner, tlp=TLP.AMBER, groups=[group])
    attachment = do_add_attachment(owner, document, SimpleUploadedFile("a.pdf", PDF))
    reviewer = UserFactory()
    practice = make_practice(
        owner,
        topics=[make_topic("Smoke", reviewers=[reviewer])],
        state="published",
        reviewer=reviewer,
        tlp=TLP.AMBER,
        audience={"audience_groups": [group]},
    )
    if role == "unvetted":
        caller = UserFactory(vetted_at=None)
    elif role == Role.EXTERNAL_PARTNER:
        caller = UserFactory(role=role, organisation=OrganisationFactory(kind=Organisation.Kind.INDUSTRY))
    else:
        caller = UserFactory(role=role)
    api = as_user(caller)
    values = {
        "document_id": document.pk,
        "attachment_id": attachment.pk,
        "slug": group.slug,
        "username": owner.username,
        "organisation_id": owner.organisation_id,
        "token_id": api.token.pk,
        "membership_id": group.memberships.first().pk,
        "event_id": 1,
        "practice_id": practice.pk,
        "number": 1,
    }
    spec = client.get(f"{API}/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        url = path
        for name, value in values.items():
            url = url.replace("{" + name + "}", str(value))
        assert "{" not in url, f"no value for a parameter of {path}"
        response = api.client.get(url, headers=api._headers())
        documented = {int(code) for code in operations["get"]["responses"]}
        assert response.status_code in documented, (role, path, response.status_code)
        assert response.status_code < 500
        if response.status_code != 200:
            assert set(response.json()) == {"message", "code", "errors"}, (role, path)
        elif not path.endswith("{attachment_id}"):
            assert isinstance(response.json(), dict)
        checked += 1
    assert checked >= 15
