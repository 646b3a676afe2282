from django.urls import path

from enlets.core import views

app_name = "core"

urlpatterns: list = [
    path("", views.audit_list, name="audit"),
]
