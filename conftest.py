"""Test-wide switches, set before Django reads its settings."""

import os

os.environ.setdefault("ENLETS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API runs an event loop
