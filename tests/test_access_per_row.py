"""The access matrices again, with every community member's labels tested row by row.

`access.visibility_q` tests a member's narrow labels row by row only from `PER_ROW_MIN_LABELS`
labels on (a member of many groups); the matrix world's people hold fewer, so the matrices above
exercise the set form. Here the threshold is lowered to one label, so the very same cases (who sees
which item, on every list and detail endpoint of documents and practices) run through the per-row
form, with the split count of a member of many groups, on both databases.
"""

from __future__ import annotations

import pytest

from enlets.core import access
from tests import test_access_matrix_documents as documents
from tests import test_access_matrix_practices as practices
from tests import test_access_rules as rules


@pytest.fixture(autouse=True)
def labels_tested_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "PER_ROW_MIN_LABELS", 1)


class TestAccessRulesPerRow(rules.TestAccessRulesMatrix):
    pass


class TestDocumentsPerRow(documents.TestDocumentAccessMatrix):
    pass


class TestPracticesPerRow(practices.TestPracticeAccessMatrix):
    pass


def test_the_per_row_form_is_in_use(db) -> None:
    from django.db import connection

    from enlets.documents.models import Document
    from tests.factories import UserFactory

    member = UserFactory()
    queryset = Document.objects.visible_to(member)
    sql = str(queryset.query)
    assert "EXISTS" in sql
    # PostgreSQL would turn a plain EXISTS into one hashed set of every labelled item.
    assert ("OFFSET 0" in sql) == (connection.vendor == "postgresql")
    assert queryset.count_hint is not None
