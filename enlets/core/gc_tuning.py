"""Keep Python's full garbage collections off the request path.

Django, ninja, allauth and their caches leave a few hundred thousand long-lived objects after the
first request. Every full (generation 2) collection walks all of them: measured at 1M documents,
one API list request in about fourteen took 60-90 ms longer, which made the p95 three times the
median (docs/performance.md). `gc.freeze()` after the first request moves those objects to a
permanent generation that collections skip; later garbage is collected as before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from typing import Any


class FreezeAfterWarmUp:
    """WSGI wrapper: after the first request has loaded the URLconf, views and templates, freeze."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.frozen = False
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return self.app(environ, start_response)
        finally:
            if not self.frozen:
                self.freeze()

    def freeze(self) -> None:
        with self._lock:
            if self.frozen:
                return
            self.frozen = True
            gc.collect()
            gc.freeze()
