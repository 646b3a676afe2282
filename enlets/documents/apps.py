from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "enlets.documents"
    label = "documents"
    verbose_name = "Document library"
