"""Pages of the network: the directory, organisations and countries, interest groups, invitations,
the membership lifecycle and personal settings.

Thin views: who may see whom is decided in enlets.network.access, every write is a `do_*` in
enlets.network.actions. A refused action becomes a 403 page (NotAllowed) or field errors next to
the form's fields (InvalidInput); what a person may not see answers 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from enlets.core.errors import ActionError, InvalidInput, NotAllowed
from enlets.core.listing import paginate, sort_queryset
from enlets.core.tasks import send_email
from enlets.network import actions
from enlets.network.access import (
    groups_visible_to,
    may_see_contact_details,
    memberships_visible_to,
    organisations_visible_to,
    people_visible_to,
)
from enlets.network.forms import (
    AcceptInvitationForm,
    AddMemberForm,
    CountryForm,
    DeactivateForm,
    GroupForm,
    InviteForm,
    JoinForm,
    OrganisationFilterForm,
    OrganisationForm,
    PeopleFilterForm,
    ProfileForm,
    RoleForm,
    TokenForm,
    TransferForm,
    add_action_errors,
)
from enlets.network.models import (
    ApiToken,
    Country,
    GroupMembership,
    InterestGroup,
    Invitation,
    Organisation,
    Role,
    User,
)

NETWORK_ADMIN_ROLES = (Role.SECRETARIAT, Role.ADMINISTRATOR)


def _refuse(error: NotAllowed) -> PermissionDenied:
    return PermissionDenied(error.message)


def _is_network_admin(user: Any) -> bool:
    return user.is_authenticated and user.is_active and user.role in NETWORK_ADMIN_ROLES


def _safe_next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a same-site `next`, else `default` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- People ---------------------------------------------------------------------------------------------

PEOPLE_SORTS = {
    "name": "last_name",
    "first_name": "first_name",
    "organisation": "organisation__name",
    "country": "organisation__country__name",
    "role": "role",
    "joined": "date_joined",
}


@login_required
def people(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = people_visible_to(user)
    filters = PeopleFilterForm(request.GET or None, organisations=organisations_visible_to(user))
    queryset = visible.select_related("organisation", "organisation__country")
    if filters.is_bound:
        queryset = filters.filter(queryset)
    queryset, sort = sort_queryset(request, queryset, PEOPLE_SORTS, "name")
    page = paginate(request, queryset)
    filtered = any(request.GET.get(k) for k in ("q", "country", "organisation", "role"))
    return render(
        request,
        "network/people.html",
        {
            **page.context(),
            "filters": filters,
            "sort": sort,
            "filtered": filtered,
            "sorts": [
                ("name", "Last name"),
                ("first_name", "First name"),
                ("organisation", "Organisation"),
                ("country", "Country"),
                ("role", "Role"),
                ("-joined", "Newest first"),
            ],
            "can_invite": actions.can_send_invitations(user),
        },
    )


def _visible_person(request: HttpRequest, username: str) -> User:
    return get_object_or_404(
        people_visible_to(request.user).select_related("organisation__country", "vetted_by"), username=username
    )


@login_required
def person(request: HttpRequest, username: str) -> HttpResponse:
    user = request.user
    person = _visible_person(request, username)
    manages = actions.can_manage_people_of(user, person.country_id) and person.pk != user.pk
    approved = GroupMembership.objects.filter(user=person, status="approved")  # access: groups are public, as the page
    roles = dict(approved.values_list("group_id", "role"))
    groups = list(groups_visible_to(user).filter(pk__in=list(roles)).select_related("parent").order_by("name"))
    for g in groups:
        g.is_chair = roles[g.pk] == GroupMembership.Role.CHAIR
    return render(
        request,
        "network/person.html",
        {
            "person": person,
            "show_contact": may_see_contact_details(user, person),
            "groups": groups,
            "is_self": person.pk == user.pk,
            "can_edit": person.pk == user.pk or actions.can_manage_people_of(user, person.country_id),
            "can_vet": manages and person.is_active and not person.is_vetted,
            "can_deactivate": manages and person.is_active,
            "can_reactivate": manages and not person.is_active,
            "can_transfer": manages,
            "can_change_role": _is_network_admin(user) and person.pk != user.pk,
        },
    )


def _managed_person(request: HttpRequest, username: str) -> User:
    """A person the signed-in NCP / Secretariat / administrator manages (404 if invisible, 403 if not managed)."""
    person = _visible_person(request, username)
    if not actions.can_manage_people_of(request.user, person.country_id):
        raise PermissionDenied("Only the national contact point of this person's country or the Secretariat does this.")
    if person.pk == request.user.pk:
        raise PermissionDenied("You cannot do this to your own account; ask your national contact point.")
    return person


def _profile_form_page(
    request: HttpRequest, person: User, template_context: dict[str, Any], success_url: str
) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                actions.do_update_profile(request.user, person, **{k: form.cleaned_data[k] for k in ProfileForm.FIELDS})
            except NotAllowed as error:
                raise _refuse(error) from error
            except InvalidInput as error:
                add_action_errors(form, error)
            else:
                messages.success(request, "Profile saved.")
                return redirect(success_url)
    else:
        form = ProfileForm(initial=ProfileForm.initial_from(person))
    return render(request, "network/profile_form.html", {"form": form, "person": person, **template_context})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, username: str) -> HttpResponse:
    person = _visible_person(request, username)
    if person.pk == request.user.pk:
        return redirect("network:settings_profile")
    if not actions.can_manage_people_of(request.user, person.country_id):
        raise PermissionDenied("You may edit only your own profile.")
    return _profile_form_page(
        request, person, {"settings_page": False}, reverse("network:person", args=[person.username])
    )


@login_required
@require_POST
def person_vet(request: HttpRequest, username: str) -> HttpResponse:
    person = _visible_person(request, username)
    try:
        actions.do_vet(request.user, person)
    except NotAllowed as error:
        raise _refuse(error) from error
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.display_name} is vetted and now sees the community's content.")
    return redirect(_safe_next(request, reverse("network:person", args=[person.username])))


@login_required
@require_http_methods(["GET", "POST"])
def person_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    person = _managed_person(request, username)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_deactivate(request.user, person, reason=form.cleaned_data["reason"])
        except NotAllowed as error:
            raise _refuse(error) from error
        except InvalidInput as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"{person.display_name} is deactivated: signed out, tokens revoked. "
                "Their content stays; you may hand it over.",
            )
        return redirect("network:person", person.username)
    owned = _owned_counts(person)
    return render(request, "network/person_deactivate.html", {"person": person, "form": form, "owned": owned})


@login_required
@require_POST
def person_reactivate(request: HttpRequest, username: str) -> HttpResponse:
    person = _managed_person(request, username)
    try:
        actions.do_reactivate(request.user, person)
    except NotAllowed as error:
        raise _refuse(error) from error
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.display_name} is active again.")
    return redirect("network:person", person.username)


def _owned_counts(person: User) -> list[tuple[str, int]]:
    """How many shared items of each kind `person` owns (the counts only: no titles are shown)."""
    counts = []
    for model in actions.shared_item_models():
        owned = model.objects.filter(owner=person)  # access: a count for the managers who hand over, no titles
        n = owned.count()
        if n:
            counts.append((str(model._meta.verbose_name_plural), n))
    return counts


@login_required
@require_http_methods(["GET", "POST"])
def person_transfer(request: HttpRequest, username: str) -> HttpResponse:
    person = _managed_person(request, username)
    form = TransferForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        to_person = form.cleaned_data["to_person"]
        try:
            moved = actions.do_transfer_ownership(request.user, person, to_person)
        except NotAllowed as error:
            raise _refuse(error) from error
        except InvalidInput as error:
            add_action_errors(form, error)
        else:
            total = sum(moved.values())
            messages.success(
                request, f"{total} item{'s' if total != 1 else ''} handed over to {to_person.display_name}."
            )
            return redirect("network:person", person.username)
    return render(
        request, "network/person_transfer.html", {"person": person, "form": form, "owned": _owned_counts(person)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_role(request: HttpRequest, username: str) -> HttpResponse:
    if not _is_network_admin(request.user):
        raise PermissionDenied("Only the Secretariat and administrators change roles.")
    person = _visible_person(request, username)
    if request.method == "POST":
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                actions.do_change_role(
                    request.user, person, role=form.cleaned_data["role"], organisation=form.cleaned_data["organisation"]
                )
            except NotAllowed as error:
                raise _refuse(error) from error
            except InvalidInput as error:
                add_action_errors(form, error)
            else:
                messages.success(request, f"{person.display_name} is now: {person.get_role_display()}.")
                return redirect("network:person", person.username)
    else:
        form = RoleForm(initial={"role": person.role})
    return render(request, "network/person_role.html", {"person": person, "form": form})


@login_required
def vetting(request: HttpRequest) -> HttpResponse:
    """The accounts waiting for vetting: the NCP's own country, or everyone for the Secretariat."""
    user = request.user
    if _is_network_admin(user):
        queue = User.objects.all()  # access: network administrators vet everyone
    elif user.role == Role.NCP and user.is_active and user.is_vetted and user.country_id:
        queue = User.objects.filter(organisation__country_id=user.country_id)  # access: an NCP vets their country
    else:
        raise PermissionDenied("Only national contact points and the Secretariat vet new members.")
    queue = (
        queue.filter(is_active=True, vetted_at=None)
        .exclude(pk=user.pk)
        .select_related("organisation__country")
        .order_by("date_joined", "pk")
    )
    page = paginate(request, queue, per_page=50)
    invited_by = {
        inv.accepted_user_id: inv
        for inv in Invitation.objects.filter(  # access: invitations of the vetting queue the manager sees
            accepted_user__in=[p.pk for p in page.object_list]
        ).select_related("invited_by")
    }
    rows = [(p, invited_by.get(p.pk)) for p in page.object_list]
    return render(request, "network/vetting.html", {**page.context(), "rows": rows})


# --- Organisations and countries ---------------------------------------------------------------------------

ORGANISATION_SORTS = {"name": "name", "country": "country__name", "kind": "kind", "people": "people_count"}


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    filters = OrganisationFilterForm(request.GET or None)
    queryset = (
        organisations_visible_to(request.user)
        .select_related("country")
        .annotate(people_count=Count("people", filter=Q(people__is_active=True)))
    )
    if filters.is_bound:
        queryset = filters.filter(queryset)
    queryset, sort = sort_queryset(request, queryset, ORGANISATION_SORTS, "name")
    page = paginate(request, queryset)
    return render(
        request,
        "network/organisations.html",
        {
            **page.context(),
            "filters": filters,
            "sort": sort,
            "filtered": any(request.GET.get(k) for k in ("q", "country", "kind")),
            "can_create": _is_network_admin(request.user),
        },
    )


@login_required
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(organisations_visible_to(request.user).select_related("country"), pk=pk)
    members = people_visible_to(request.user).filter(organisation=org).order_by("last_name", "first_name", "pk")
    page = paginate(request, members, per_page=50)
    return render(
        request,
        "network/organisation.html",
        {
            **page.context(),
            "organisation": org,
            "can_edit": _is_network_admin(request.user),
        },
    )


def _organisation_form_page(request: HttpRequest, org: Organisation | None) -> HttpResponse:
    if not _is_network_admin(request.user):
        raise PermissionDenied("Only the Secretariat and administrators manage organisations.")
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        if form.is_valid():
            try:
                saved = actions.do_save_organisation(request.user, org, **form.cleaned_data)
            except NotAllowed as error:
                raise _refuse(error) from error
            except InvalidInput as error:
                add_action_errors(form, error)
            else:
                messages.success(request, f"Saved {saved.name}.")
                return redirect("network:organisation", saved.pk)
    else:
        initial = OrganisationForm.initial_from(org) if org else {"country": request.GET.get("country", "").upper()}
        form = OrganisationForm(initial=initial)
    return render(request, "network/organisation_form.html", {"form": form, "organisation": org})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    return _organisation_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(organisations_visible_to(request.user), pk=pk)
    return _organisation_form_page(request, org)


@login_required
def countries(request: HttpRequest) -> HttpResponse:
    # Country names are not confidential; the counts are of what this person may see.
    visible_orgs = organisations_visible_to(request.user).values("pk")
    rows = Country.objects.annotate(
        organisation_count=Count("organisations", filter=Q(organisations__in=visible_orgs), distinct=True),
    ).order_by("-is_member_state", "name")
    return render(
        request,
        "network/countries.html",
        {
            "countries": rows,
            "can_create": _is_network_admin(request.user),
        },
    )


@login_required
def country(request: HttpRequest, code: str) -> HttpResponse:
    item = get_object_or_404(Country, pk=code.upper())
    orgs = (
        organisations_visible_to(request.user)
        .filter(country=item)
        .annotate(people_count=Count("people", filter=Q(people__is_active=True)))
        .order_by("name")
    )
    ncps = (
        people_visible_to(request.user)
        .filter(role=Role.NCP, organisation__country=item, is_active=True)
        .select_related("organisation")
        .order_by("last_name", "first_name")
    )
    return render(
        request,
        "network/country.html",
        {
            "country": item,
            "organisations": orgs,
            "ncps": ncps,
            "can_create": _is_network_admin(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def country_create(request: HttpRequest) -> HttpResponse:
    if not _is_network_admin(request.user):
        raise PermissionDenied("Only the Secretariat and administrators add countries.")
    form = CountryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = actions.do_create_country(request.user, **form.cleaned_data)
        except NotAllowed as error:
            raise _refuse(error) from error
        except InvalidInput as error:
            add_action_errors(form, error)
        else:
            messages.success(request, f"Added {item.name}.")
            return redirect("network:country", item.code)
    return render(request, "network/country_form.html", {"form": form})


# --- Interest groups ---------------------------------------------------------------------------------------


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = groups_visible_to(user)
    # A subquery, not Count() over the join: for a person who sees only their own groups, the visibility
    # filter already joins memberships, and a Count over that join would count only their own row.
    member_count = Coalesce(
        Subquery(
            GroupMembership.objects.filter(group=OuterRef("pk"), status="approved")  # access: member counts are public
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )
    top = (
        visible.filter(parent=None)
        .annotate(member_count=member_count)
        .prefetch_related(
            Prefetch(
                "subgroups",
                queryset=visible.annotate(member_count=member_count).order_by("name"),
                to_attr="visible_subgroups",
            )
        )
        .order_by("archived_at", "name")
    )
    # Subgroups whose parent this person may not see are listed on their own.
    orphans = visible.exclude(parent=None).exclude(parent__in=visible.values("pk")).select_related("parent")
    mine = dict(GroupMembership.objects.filter(user=user).values_list("group_id", "status"))  # access: own
    top = list(top)
    orphans = list(orphans)
    for g in [*top, *orphans, *(s for t in top for s in t.visible_subgroups)]:
        g.my_status = mine.get(g.pk, "")
    return render(
        request,
        "network/groups.html",
        {
            "groups": top,
            "orphans": orphans,
            "can_create": actions.can_manage_groups(user),
        },
    )


def _visible_group(request: HttpRequest, slug: str) -> InterestGroup:
    return get_object_or_404(groups_visible_to(request.user).select_related("parent"), slug=slug)


@login_required
def group(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    item = _visible_group(request, slug)
    may_decide = actions.can_decide_membership(user, item)
    visible_memberships = (
        memberships_visible_to(user, item, may_decide=may_decide)
        .select_related("user__organisation")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    approved = [m for m in visible_memberships if m.status == GroupMembership.Status.APPROVED]
    mine = GroupMembership.objects.filter(group=item, user=user).first()  # access: own membership
    can_join = (
        user.is_community_member
        and item.is_open
        and item.archived_at is None
        and (mine is None or mine.status == GroupMembership.Status.DECLINED)
    )
    return render(
        request,
        "network/group.html",
        {
            "group": item,
            "chairs": [m for m in approved if m.role == GroupMembership.Role.CHAIR],
            "members": [m for m in approved if m.role != GroupMembership.Role.CHAIR],
            "requests": [m for m in visible_memberships if m.status == GroupMembership.Status.REQUESTED]
            if may_decide
            else [],
            "subgroups": groups_visible_to(user).filter(parent=item).order_by("name"),
            "mine": mine,
            "may_decide": may_decide,
            "can_join": can_join,
            "join_form": JoinForm() if can_join else None,
            "add_form": AddMemberForm(group=item, actor=user) if may_decide else None,
            "can_create_subgroup": actions.can_manage_groups(user) or item.is_chaired_by(user),
            "documents_url": f"{reverse('documents:list')}?group={item.slug}",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    chairs = GroupMembership.objects.filter(user=user, role="chair", status="approved")  # access: own memberships
    chairs_some = chairs.exists()
    if not (actions.can_manage_groups(user) or (user.is_active and chairs_some)):
        raise PermissionDenied("The Core Group and the Secretariat create interest groups; a chair creates subgroups.")
    if request.method == "POST":
        form = GroupForm(request.POST, actor=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = actions.do_create_group(
                    user,
                    name=data["name"],
                    slug=data["slug"],
                    description=data["description"],
                    parent=data["parent"],
                    is_open=data["is_open"],
                    chair=data["chair"] or user,
                )
            except NotAllowed as error:
                raise _refuse(error) from error
            except InvalidInput as error:
                add_action_errors(form, error)
            else:
                messages.success(request, f"Created {created}.")
                return redirect("network:group", created.slug)
    else:
        form = GroupForm(actor=user, initial={"is_open": True})
        parent = form.fields["parent"].queryset.filter(slug=request.GET.get("parent", "")).first()
        if parent is not None:
            form.initial["parent"] = parent.pk
    return render(request, "network/group_form.html", {"form": form})


@login_required
@require_POST
def group_join(request: HttpRequest, slug: str) -> HttpResponse:
    item = _visible_group(request, slug)
    form = JoinForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Your message is too long (2,000 characters at most).")
        return redirect("network:group", item.slug)
    try:
        actions.do_request_join(request.user, item, message=form.cleaned_data["message"])
    except NotAllowed as error:
        raise _refuse(error) from error
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your request to join is sent to the chairs.")
    return redirect("network:group", item.slug)


@login_required
@require_POST
def group_leave(request: HttpRequest, slug: str) -> HttpResponse:
    """Leave the group, or (a chair, with `membership`) remove a member or withdraw a request."""
    item = _visible_group(request, slug)
    membership_id = request.POST.get("membership")
    if membership_id:
        membership = get_object_or_404(item.memberships.select_related("user", "group"), pk=membership_id)
    else:
        membership = get_object_or_404(item.memberships.select_related("user", "group"), user=request.user)
    try:
        actions.do_leave_group(request.user, membership)
    except NotAllowed as error:
        raise _refuse(error) from error
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left {item}.")
    else:
        messages.success(request, f"{membership.user.display_name} is no longer in {item}.")
    if groups_visible_to(request.user).filter(pk=item.pk).exists():
        return redirect("network:group", item.slug)
    return redirect("network:groups")


@login_required
@require_POST
def membership_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    item = _visible_group(request, slug)
    membership = get_object_or_404(item.memberships.select_related("user", "group"), pk=pk)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "decline"):
        messages.error(request, "Choose approve or decline.")
        return redirect("network:group", item.slug)
    try:
        actions.do_decide_membership(request.user, membership, approve=decision == "approve")
    except NotAllowed as error:
        raise _refuse(error) from error
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        verb = "approved" if decision == "approve" else "declined"
        messages.success(request, f"The request of {membership.user.display_name} is {verb}.")
    return redirect("network:group", item.slug)


@login_required
@require_http_methods(["GET", "POST"])
def group_add_member(request: HttpRequest, slug: str) -> HttpResponse:
    item = _visible_group(request, slug)
    if not actions.can_decide_membership(request.user, item):
        raise PermissionDenied("Only a chair of this group adds members.")
    form = AddMemberForm(request.POST or None, group=item, actor=request.user)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"]
        try:
            actions.do_add_member(request.user, item, person, chair=form.cleaned_data["chair"])
        except NotAllowed as error:
            raise _refuse(error) from error
        except InvalidInput as error:
            add_action_errors(form, error)
        else:
            messages.success(request, f"{person.display_name} is now in {item}.")
            return redirect("network:group", item.slug)
    return render(request, "network/group_add_member.html", {"group": item, "form": form})


# --- Invitations --------------------------------------------------------------------------------------------


def _invitations_of(user: User) -> QuerySet[Invitation]:
    """The invitations this person may see: the Secretariat all; an NCP those of their country and their own."""
    qs = Invitation.objects.select_related("organisation__country", "invited_by", "accepted_user")
    if user.role in NETWORK_ADMIN_ROLES:
        return qs
    return qs.filter(Q(invited_by=user) | Q(organisation__country_id=user.country_id))


def _send_invitation(request: HttpRequest, invitation: Invitation, link: str) -> bool:
    """E-mail the link to the invitee. A mail failure must not lose the invitation: the inviter sees the link."""
    inviter = request.user
    body = (
        f"Hello{(' ' + invitation.first_name) if invitation.first_name else ''},\n\n"
        f"{inviter.display_name} ({inviter.organisation or 'ENLETS'}) invites you to join {settings.PLATFORM_NAME}, "
        f"the platform of the European Network of Law Enforcement Technology Services, as "
        f"{invitation.get_role_display().lower()} of {invitation.organisation.name}.\n\n"
        f"Open this link to choose your user name and password, then set up a second factor:\n{link}\n\n"
        f"The link works once and until {invitation.expires_at:%d %B %Y}.\n"
        "If you did not expect this invitation, ignore this message.\n"
    )
    # do_invite has committed. The task worker sends it, so a slow or unreachable mail server never
    # holds up the page and the task row survives restarts. If queueing fails, the inviter still
    # sees the link to pass on.
    try:
        send_email.enqueue(
            subject=f"Your invitation to {settings.PLATFORM_NAME}", body=body, recipients=[invitation.email]
        )
    except Exception:
        return False
    return True


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not actions.can_send_invitations(user):
        raise PermissionDenied("Only national contact points and the Secretariat invite people.")
    created: dict[str, Any] | None = None
    if request.method == "POST":
        form = InviteForm(request.POST, actor=user)
        if form.is_valid():
            try:
                invitation, token = actions.do_invite(user, **form.cleaned_data)
            except NotAllowed as error:
                raise _refuse(error) from error
            except InvalidInput as error:
                add_action_errors(form, error)
            else:
                link = request.build_absolute_uri(reverse("network:accept_invitation", args=[token]))
                # The link is shown this once (only its hash is stored), in case the e-mail does not arrive.
                mailed = _send_invitation(request, invitation, link)
                created = {"invitation": invitation, "link": link, "mailed": mailed}
                form = InviteForm(actor=user)
    else:
        form = InviteForm(actor=user)
    status = request.GET.get("status", "")
    queryset = _invitations_of(user)
    if status in ("pending", "accepted", "revoked", "expired"):
        from django.utils import timezone

        now = timezone.now()
        queryset = {
            "pending": queryset.filter(accepted_at=None, revoked_at=None, expires_at__gt=now),
            "accepted": queryset.exclude(accepted_at=None),
            "revoked": queryset.exclude(revoked_at=None),
            "expired": queryset.filter(accepted_at=None, revoked_at=None, expires_at__lte=now),
        }[status]
    page = paginate(request, queryset.order_by("-created_at", "-pk"))
    return render(
        request,
        "network/invitations.html",
        {
            **page.context(),
            "form": form,
            "created": created,
            "status": status,
        },
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not actions.can_send_invitations(request.user):
        raise PermissionDenied("Only national contact points and the Secretariat manage invitations.")
    invitation = get_object_or_404(_invitations_of(request.user), pk=pk)
    try:
        actions.do_revoke_invitation(request.user, invitation)
    except NotAllowed as error:
        raise _refuse(error) from error
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The invitation for {invitation.email} is revoked; its link no longer works.")
    return redirect("network:invitations")


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the invitee chooses a user name and password, is signed in and sets up a second factor."""
    invitation = actions.find_invitation(token)
    if invitation is None or not invitation.is_usable:
        return render(
            request,
            "network/invitation_invalid.html",
            {"reason": invitation.status if invitation else "unknown"},
            status=410,
        )
    if request.method == "POST":
        form = AcceptInvitationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = actions.do_accept_invitation(
                    token,
                    username=data["username"],
                    password=data["password1"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            except InvalidInput as error:
                if error.code == "invitation_unusable":
                    return render(request, "network/invitation_invalid.html", {"reason": "used"}, status=410)
                add_action_errors(form, error, {"password": "password1"})
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                # The invitee has just proved the password: tell allauth, or its TOTP set-up page
                # asks for the password again ("Confirm Access") before they can set a second factor.
                from allauth.account.internal.flows.login import record_authentication

                record_authentication(request, user, method="password", username=user.username, reauthenticated=True)
                messages.success(
                    request,
                    "Welcome to the network. Now set up your second factor: an authenticator "
                    "app on your phone. Your national contact point will vet your account.",
                )
                return redirect("mfa_activate_totp")
    else:
        form = AcceptInvitationForm(initial={"first_name": invitation.first_name, "last_name": invitation.last_name})
    return render(request, "network/accept_invitation.html", {"form": form, "invitation": invitation})


# --- Settings -----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_profile(request: HttpRequest) -> HttpResponse:
    return _profile_form_page(request, request.user, {"settings_page": True}, reverse("network:settings_profile"))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def settings_tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    created: dict[str, Any] | None = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = actions.do_create_token(user, **form.cleaned_data)
            except NotAllowed as error:
                raise _refuse(error) from error
            except InvalidInput as error:
                add_action_errors(form, error)
            else:
                # Rendered in this response only: the secret is never stored, so it cannot be shown again.
                created = {"token": token, "secret": secret}
                form = TokenForm()
    else:
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")  # access: own tokens
    return render(request, "network/settings_tokens.html", {"form": form, "tokens": tokens, "created": created})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if request.method == "POST":
        try:
            actions.do_revoke_token(request.user, token)
        except NotAllowed as error:
            raise _refuse(error) from error
        except ActionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The token “{token.name}” is revoked.")
        return redirect("network:settings_tokens")
    return render(request, "network/token_revoke.html", {"token": token})
