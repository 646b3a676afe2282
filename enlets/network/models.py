"""The network: countries, organisations, people and their roles, interest groups, invitations,
and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import cache
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import connections, models, router
from django.utils import timezone

from enlets.core.compiled import run_prepared


class Country(models.Model):
    """A member state or an associated country. The primary key is the ISO 3166-1 alpha-2 code
    (EL for Greece, as the EU writes it)."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=80, unique=True)
    is_member_state = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LAW_ENFORCEMENT = "law_enforcement", "Law-enforcement agency"
        MINISTRY = "ministry", "Ministry"
        EU_BODY = "eu_body", "EU body"
        RESEARCH = "research", "Research institute"
        INDUSTRY = "industry", "Industry"
        UNIVERSITY = "university", "University"

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LAW_ENFORCEMENT)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="organisations")
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "country"], name="organisation_unique_name")]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_external(self) -> bool:
        return self.kind in (self.Kind.RESEARCH, self.Kind.INDUSTRY, self.Kind.UNIVERSITY)


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    NCP = "ncp", "National contact point"
    CORE_GROUP = "core_group", "Core Group member"
    CORE_GROUP_LEADER = "core_group_leader", "Core Group Leader"
    SECRETARIAT = "secretariat", "Secretariat"
    OBSERVER = "observer", "Observer"
    EXTERNAL_PARTNER = "external_partner", "External partner"
    ADMINISTRATOR = "administrator", "Administrator"


# Roles that belong to the network community (see TLP:GREEN in docs/access-model.md).
COMMUNITY_ROLES = frozenset(r.value for r in Role if r != Role.EXTERNAL_PARTNER)
# Roles that may see and export the audit trail.
AUDITOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.CORE_GROUP, Role.CORE_GROUP_LEADER})
CORE_GROUP_ROLES = frozenset({Role.CORE_GROUP, Role.CORE_GROUP_LEADER})


class User(AbstractUser):
    """A person in the network. Never deleted: a person who leaves is deactivated, and their
    content stays (ownership can be transferred)."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER, db_index=True)
    job_title = models.CharField(max_length=120, blank=True)
    expertise = models.TextField(blank=True, help_text="Technologies and fields you know well.")
    languages = models.CharField(max_length=120, blank=True, help_text="For example: English, Dutch, German")
    phone = models.CharField(max_length=40, blank=True)
    notification_email = models.EmailField(blank=True, help_text="Where notifications go, if not your sign-in e-mail.")
    vetted_at = models.DateTimeField(null=True, blank=True)
    vetted_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = self.get_full_name().strip()
        return full or self.username

    @property
    def country_id(self) -> str | None:
        return self.organisation.country_id if self.organisation_id else None

    @property
    def is_vetted(self) -> bool:
        return self.vetted_at is not None

    @property
    def is_community_member(self) -> bool:
        """Sees TLP:GREEN: active, vetted and not an external partner."""
        return self.is_active and self.is_vetted and self.role in COMMUNITY_ROLES

    @property
    def is_ncp(self) -> bool:
        return self.role == Role.NCP

    @property
    def is_secretariat(self) -> bool:
        return self.role == Role.SECRETARIAT

    @property
    def is_core_group(self) -> bool:
        return self.role in CORE_GROUP_ROLES

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def can_audit(self) -> bool:
        return self.is_active and self.role in AUDITOR_ROLES

    def approved_group_ids(self) -> list[int]:
        """The interest groups this person is an approved member of.

        Read for every list and search request (the access labels), so run as one plain SQL
        statement: building the same query with the ORM took 0.5 ms of Python per request, five
        times the statement's own time (docs/performance.md, change 11). tests/test_access_rules.py checks
        it against the ORM's answer.
        """
        rows = _read_memberships(_approved_groups_sql, [self.pk, GroupMembership.Status.APPROVED.value])
        return [group for (group,) in rows]

    def country_and_group_ids(self) -> tuple[str | None, list[int]]:
        """The country of this person's organisation and their approved groups: what their access
        labels need from the database. One statement when the organisation is not loaded yet (a
        request's user is loaded alone), which spares a page one query."""
        if not self.organisation_id:
            return None, self.approved_group_ids()
        if User.organisation.is_cached(self):
            return self.organisation.country_id, self.approved_group_ids()
        params = [self.pk, GroupMembership.Status.APPROVED.value, self.organisation_id]
        rows = _read_memberships(_country_and_groups_sql, params)
        country = rows[0][0] if rows else None
        return country, [group for _, group in rows if group is not None]

    def has_second_factor(self) -> bool:
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(user=self, type=Authenticator.Type.TOTP).exists()

    @property
    def contact_email(self) -> str:
        return self.notification_email or self.email


class InterestGroup(models.Model):
    """A Technology Interest Group (TIG) or one of its subgroups."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="subgroups")
    description = models.TextField(blank=True)
    is_open = models.BooleanField(
        default=True, help_text="Community members may ask to join; the chair approves each request."
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.parent.name}: {self.name}" if self.parent_id else self.name

    def chairs(self) -> models.QuerySet[User]:
        return User.objects.filter(
            group_memberships__group=self,
            group_memberships__role=GroupMembership.Role.CHAIR,
            group_memberships__status=GroupMembership.Status.APPROVED,
        )

    def is_chaired_by(self, user: User) -> bool:
        return (
            user.is_authenticated
            and self.memberships.filter(
                user=user, role=GroupMembership.Role.CHAIR, status=GroupMembership.Status.APPROVED
            ).exists()
        )


class GroupMembership(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Join requested"
        APPROVED = "approved", "Member"
        DECLINED = "declined", "Declined"

    group = models.ForeignKey(InterestGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    message = models.TextField(blank=True, help_text="Why you want to join (seen by the chairs).")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["user", "status"], name="membership_user_status")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.get_status_display()})"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Invitation(models.Model):
    """Invitation only: an NCP invites people of their own country, the Secretariat anyone."""

    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""

    PREFIX = "enl_"

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    key_prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def generate_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


def _read_memberships(statement: Callable[[str], str], params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of one of the label statements below, on the database memberships are read from."""
    alias = router.db_for_read(GroupMembership)
    return run_prepared(alias, statement(alias), params)


@cache
def _approved_groups_sql(alias: str) -> str:
    """`User.approved_group_ids`'s statement: names from the model's meta, values bound."""
    meta = GroupMembership._meta
    quote = connections[alias].ops.quote_name
    group, user, status = (quote(meta.get_field(name).column) for name in ("group", "user", "status"))
    return f"SELECT {group} FROM {quote(meta.db_table)} WHERE {user} = %s AND {status} = %s"  # noqa: S608


@cache
def _country_and_groups_sql(alias: str) -> str:
    """`User.country_and_group_ids`'s statement: the organisation's row joined to the person's
    approved memberships (none: one row with no group)."""
    quote = connections[alias].ops.quote_name
    organisation, membership = Organisation._meta, GroupMembership._meta
    country, org_pk = quote(organisation.get_field("country").column), quote(organisation.pk.column)
    group, user, status = (quote(membership.get_field(name).column) for name in ("group", "user", "status"))
    return (
        f"SELECT o.{country}, m.{group} FROM {quote(organisation.db_table)} o "  # noqa: S608
        f"LEFT JOIN {quote(membership.db_table)} m ON m.{user} = %s AND m.{status} = %s WHERE o.{org_pk} = %s"
    )
