"""manage.py search_rebuild: index every searchable item afresh, with a progress bar on stderr."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from enlets.search import backend


class Command(BaseCommand):
    help = "Rebuild the search index from the database (safe to run at any time; search is partial meanwhile)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        engine = backend()
        last = [-1]

        def progress(done: int, total: int) -> None:
            percent = 100 if total == 0 else done * 100 // total
            if percent == last[0]:
                return
            last[0] = percent
            width = 30
            filled = width * percent // 100
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done}/{total}", ending="")
            self.stderr.flush()

        count = engine.rebuild(progress, batch_size=max(batch_size, 1))
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} items with the {engine.name} engine."))
