from django.urls import path

from enlets.documents import views

app_name = "documents"

urlpatterns: list = [
    path("", views.document_list, name="list"),
]
