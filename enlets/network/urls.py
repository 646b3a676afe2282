from django.urls import path

from enlets.network import views

app_name = "network"

urlpatterns: list = [
    path("people/", views.people, name="people"),
    path("people/<str:username>/", views.people, name="person"),
]
