"""Pages of the network, mounted at /network/ (names fixed by the URL contract in docs)."""

from django.urls import path

from enlets.network import views

app_name = "network"

urlpatterns: list = [
    # People and the membership lifecycle
    path("people/", views.people, name="people"),
    path("people/<str:username>/", views.person, name="person"),
    path("people/<str:username>/edit/", views.person_edit, name="person_edit"),
    path("people/<str:username>/vet/", views.person_vet, name="person_vet"),
    path("people/<str:username>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<str:username>/reactivate/", views.person_reactivate, name="person_reactivate"),
    path("people/<str:username>/transfer/", views.person_transfer, name="person_transfer"),
    path("people/<str:username>/role/", views.person_role, name="person_role"),
    path("vetting/", views.vetting, name="vetting"),
    # Organisations and countries
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("countries/", views.countries, name="countries"),
    path("countries/new/", views.country_create, name="country_create"),
    path("countries/<str:code>/", views.country, name="country"),
    # Interest groups
    path("groups/", views.groups, name="groups"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<slug:slug>/", views.group, name="group"),
    path("groups/<slug:slug>/join/", views.group_join, name="group_join"),
    path("groups/<slug:slug>/leave/", views.group_leave, name="group_leave"),
    path("groups/<slug:slug>/members/add/", views.group_add_member, name="group_add_member"),
    path("groups/<slug:slug>/requests/<int:pk>/", views.membership_decide, name="membership_decide"),
    # Invitations (the accept page is public: the token is the credential)
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/accept/<str:token>/", views.accept_invitation, name="accept_invitation"),
    # Personal settings
    path("settings/profile/", views.settings_profile, name="settings_profile"),
    path("settings/tokens/", views.settings_tokens, name="settings_tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
