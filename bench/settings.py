"""Settings of the benchmark server: the platform's own settings plus the bench-only views of bench/urls.py."""

from enlets.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The server's request log would cost more than some of the requests measured.
LOGGING["loggers"]["django.server"] = {"level": "WARNING"}  # noqa: F405
# The benchmark's load clients share one token: the API rate limit would measure itself.
API_RATE_LIMIT = None
