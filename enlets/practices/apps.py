from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "enlets.practices"
    verbose_name = "Best-practice exchange"
