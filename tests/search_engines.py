"""The two search engines as test parameters: tantivy always, PostgreSQL full-text only on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

SEARCH_ENGINES = [
    pytest.param("tantivy", id="tantivy"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL engine needs PostgreSQL"),
    ),
]
