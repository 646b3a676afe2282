from django.urls import path

from enlets.documents import views

app_name = "documents"

urlpatterns: list = [
    path("", views.document_list, name="list"),
    path("new/", views.document_create, name="create"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/delete/", views.document_delete, name="delete"),
    path("<int:pk>/transfer/", views.document_transfer, name="transfer"),
    path("<int:pk>/files/<int:att_pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/files/<int:att_pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
