"""The benchmark's HTTP server: Django's own threaded WSGI server (what `runserver` uses), without the
autoreloader and with TCP_NODELAY on each connection.

Why not plain `runserver`: its handler writes the headers and the body in two small packets, and
Nagle's algorithm on the server plus delayed ACKs on the client add ~40 ms to every keep-alive
response on Linux loopback, which would swamp what we measure. gunicorn would avoid it too, but
is not a dependency of the project (docs/performance.md).

    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python bench/serve.py 127.0.0.1 8190
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    import django

    django.setup()
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    class NoDelayServer(ThreadedWSGIServer):
        def get_request(self) -> tuple[socket.socket, object]:
            sock, address = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

    host, port = sys.argv[1], int(sys.argv[2])
    server = NoDelayServer((host, port), QuietHandler, allow_reuse_address=True)
    server.set_app(get_internal_wsgi_application())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
