from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "enlets.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from enlets.core import signals  # noqa: F401  (sign-in audit receivers)
