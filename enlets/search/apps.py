from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "enlets.search"
    label = "search"
    verbose_name = "Search"
