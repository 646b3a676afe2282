from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "enlets.network"
    label = "network"
    verbose_name = "Network"
