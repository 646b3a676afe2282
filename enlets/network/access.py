"""Who may see whom: the directory rule, used by the web directory and the API alike.

The directory (people, organisations, interest groups) is not shared content with a TLP
marking, so it has its own, simpler rule, decided here and nowhere else:

- A signed-in member of the network community (active, vetted, not an external partner) sees
  every active person, every organisation and every interest group. People who manage
  accounts (an NCP for their country, the Secretariat, administrators) also see the
  deactivated people they manage, so they can reactivate them or hand over their content.
- An external partner sees only the people of their own organisation, only that organisation,
  and only the interest groups they belong to.
- Anyone else signed in (for example a person not vetted yet) sees only themselves, their own
  organisation and the groups they belong to.
- Everyone always sees themselves.
- Contact details (e-mail, phone) are shown only to community members (and to the person
  themselves): an external partner never gets the network's address book.
- An inactive account sees nobody.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from enlets.network.models import GroupMembership, InterestGroup, Organisation, Role, User


def _signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def people_visible_to(user: Any) -> QuerySet[User]:
    """The people `user` may find in the directory and the API (see the module's rule)."""
    if not _signed_in(user):
        return User.objects.none()
    if user.is_community_member:
        if user.role in (Role.SECRETARIAT, Role.ADMINISTRATOR):
            # Everyone, deactivated people too. (Not `Q() | Q(pk=...)`: an empty Q drops out of an OR.)
            return User.objects.all()
        q = Q(is_active=True)
        if user.role == Role.NCP and user.organisation_id:
            # An NCP manages the people of their own country, deactivated ones too.
            q |= Q(organisation__country_id=user.country_id)
        return User.objects.filter(q | Q(pk=user.pk))
    if user.role == Role.EXTERNAL_PARTNER and user.organisation_id:
        return User.objects.filter(Q(organisation_id=user.organisation_id, is_active=True) | Q(pk=user.pk))
    return User.objects.filter(pk=user.pk)


def may_see_contact_details(viewer: Any, person: User) -> bool:
    """E-mail and phone: community members, and each person for themselves."""
    if not _signed_in(viewer):
        return False
    return viewer.is_community_member or viewer.pk == person.pk


def organisations_visible_to(user: Any) -> QuerySet[Organisation]:
    if not _signed_in(user):
        return Organisation.objects.none()
    if user.is_community_member:
        return Organisation.objects.all()
    return Organisation.objects.filter(pk=user.organisation_id) if user.organisation_id else Organisation.objects.none()


def groups_visible_to(user: Any) -> QuerySet[InterestGroup]:
    if not _signed_in(user):
        return InterestGroup.objects.none()
    if user.is_community_member:
        return InterestGroup.objects.all()
    return InterestGroup.objects.filter(
        memberships__user=user, memberships__status=GroupMembership.Status.APPROVED
    ).distinct()


def memberships_visible_to(user: Any, group: InterestGroup, *, may_decide: bool) -> QuerySet[GroupMembership]:
    """Approved members whom `user` may see; pending and declined requests only for whoever decides
    them (a chair, the Core Group, the Secretariat) and for the person who asked."""
    visible_people = people_visible_to(user).values("pk")
    q = Q(status=GroupMembership.Status.APPROVED, user__in=visible_people) | Q(user_id=user.pk)
    if may_decide:
        q |= Q(user__in=visible_people)
    return group.memberships.filter(q)
