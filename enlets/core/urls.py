from django.urls import path

from enlets.core import views

app_name = "core"

urlpatterns: list = [
    path("", views.audit_list, name="audit"),
    path("export.csv", views.audit_export, name="audit_export"),
    path("<int:pk>/", views.audit_event, name="audit_event"),
]
