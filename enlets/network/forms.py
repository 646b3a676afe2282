"""Forms of the network pages: directory filters, organisations and countries, interest groups,
invitations, the membership lifecycle, the profile and personal API tokens.

The forms only read and check input; every write goes through enlets.network.actions, whose
InvalidInput field errors are put back on these forms by `add_action_errors`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet

from enlets.core.forms import add_action_errors  # noqa: F401  (re-exported for the views)
from enlets.network.access import people_visible_to
from enlets.network.actions import NCP_INVITABLE_ROLES, can_manage_groups
from enlets.network.models import ApiToken, Country, InterestGroup, Organisation, Role, User


class OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.country_id})"


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        org = f", {obj.organisation}" if obj.organisation_id else ""
        return f"{obj.display_name} ({obj.username}{org})"


def active_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, organisation__isnull=False).select_related("organisation")


# --- Directory -------------------------------------------------------------------------------------


class PeopleFilterForm(forms.Form):
    """The directory's filters (GET). Unknown values are ignored, never an error page."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, expertise or organisation"}),
    )
    country = forms.ModelChoiceField(
        label="Country", required=False, queryset=Country.objects.all(), empty_label="Any country", to_field_name="code"
    )
    organisation = OrganisationChoice(
        label="Organisation", required=False, queryset=Organisation.objects.none(), empty_label="Any organisation"
    )
    role = forms.ChoiceField(label="Role", required=False, choices=[("", "Any role"), *Role.choices])

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations.order_by("name")

    def filter(self, queryset: QuerySet[User]) -> QuerySet[User]:
        if not self.is_valid():
            # An unknown country or organisation matches nobody (the field shows why).
            return queryset.none()
        data = self.cleaned_data
        for word in (data.get("q") or "").split()[:6]:
            queryset = queryset.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(job_title__icontains=word)
                | Q(expertise__icontains=word)
                | Q(organisation__name__icontains=word)
                | Q(organisation__short_name__icontains=word)
            )
        if data.get("country"):
            queryset = queryset.filter(organisation__country=data["country"])
        if data.get("organisation"):
            queryset = queryset.filter(organisation=data["organisation"])
        if data.get("role"):
            queryset = queryset.filter(role=data["role"])
        return queryset


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name"}),
    )
    country = forms.ModelChoiceField(
        label="Country", required=False, queryset=Country.objects.all(), empty_label="Any country", to_field_name="code"
    )
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *Organisation.Kind.choices])

    def filter(self, queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["q"]:
            queryset = queryset.filter(Q(name__icontains=data["q"]) | Q(short_name__icontains=data["q"]))
        if data["country"]:
            queryset = queryset.filter(country=data["country"])
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        return queryset


# --- Countries and organisations ------------------------------------------------------------------------


class CountryForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=2,
        min_length=2,
        help_text="ISO 3166-1 two-letter code, for example NO for Norway (EL for Greece).",
    )
    name = forms.CharField(label="Name", max_length=80)
    is_member_state = forms.BooleanField(
        label="EU member state", required=False, help_text="Leave unticked for an associated country."
    )


class OrganisationForm(forms.Form):
    """A plain form (not a ModelForm): a ModelForm would change the instance before the action
    takes its 'before' snapshot, and the audit diff would come out empty."""

    name = forms.CharField(label="Name", max_length=200)
    short_name = forms.CharField(label="Short name", max_length=40, required=False)
    kind = forms.ChoiceField(label="Kind", choices=Organisation.Kind.choices)
    country = forms.ModelChoiceField(label="Country", queryset=Country.objects.all())
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    @staticmethod
    def initial_from(organisation: Organisation) -> dict[str, Any]:
        return {
            name: getattr(organisation, name)
            for name in ("name", "short_name", "kind", "country", "website", "description")
        }


# --- Membership lifecycle --------------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    organisation = OrganisationChoice(label="Organisation", queryset=Organisation.objects.none())
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.order_by("name")
        if actor.role == Role.NCP:
            # An NCP invites people of their own country only, as members or external partners.
            organisations = organisations.filter(country_id=actor.country_id)
            self.fields["role"].choices = [(v, label) for v, label in Role.choices if v in NCP_INVITABLE_ROLES]
            self.fields["organisation"].help_text = "Organisations of your country. Ask the Secretariat to add one."
            self.fields["role"].help_text = "The Secretariat gives other roles."
        self.fields["organisation"].queryset = organisations


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(
        label="User name",
        max_length=150,
        help_text="Letters, digits and . _ - @ +; you sign in with it or your e-mail.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password, not only digits, not like your name or e-mail.",
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_username(self) -> str:
        from django.contrib.auth.validators import UnicodeUsernameValidator

        username = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(username)
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        return data


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: left the police service. Kept on the audit trail.",
    )


class TransferForm(forms.Form):
    to_person = PersonChoice(
        label="New owner",
        queryset=User.objects.none(),
        help_text="An active person with an organisation receives everything this person owns.",
    )

    def __init__(self, *args: Any, person: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_person"].queryset = active_people().exclude(pk=person.pk)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    organisation = OrganisationChoice(
        label="Organisation",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        help_text="Leave empty to keep the current organisation.",
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    job_title = forms.CharField(label="Job title", max_length=120, required=False)
    expertise = forms.CharField(
        label="Expertise",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Technologies and fields you know well.",
    )
    languages = forms.CharField(
        label="Languages", max_length=120, required=False, help_text="For example: English, Dutch, German"
    )
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, help_text="Shown only to members of the network community."
    )
    notification_email = forms.EmailField(
        label="Notification e-mail", required=False, help_text="Where notifications go, if not your sign-in e-mail."
    )

    FIELDS = ("first_name", "last_name", "job_title", "expertise", "languages", "phone", "notification_email")

    @classmethod
    def initial_from(cls, person: User) -> dict[str, Any]:
        return {name: getattr(person, name) for name in cls.FIELDS}


# --- Interest groups -----------------------------------------------------------------------------------


class GroupChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: InterestGroup) -> str:
        return str(obj)


class GroupForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    slug = forms.SlugField(
        label="Short name in addresses",
        max_length=120,
        help_text="Lower-case letters, digits and hyphens, for example counter-drone.",
    )
    parent = GroupChoice(
        label="Subgroup of",
        queryset=InterestGroup.objects.none(),
        required=False,
        empty_label="None: a top-level group",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="Markdown."
    )
    is_open = forms.BooleanField(label="Community members may ask to join", required=False, initial=True)
    chair = PersonChoice(
        label="Chair",
        queryset=User.objects.none(),
        required=False,
        help_text="Who decides join requests. Leave empty to chair it yourself.",
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = InterestGroup.objects.filter(archived_at=None).select_related("parent").order_by("name")
        if not can_manage_groups(actor):
            # A chair creates subgroups of the groups they chair, and no top-level group.
            groups = groups.filter(memberships__user=actor, memberships__role="chair", memberships__status="approved")
            self.fields["parent"].required = True
            self.fields["parent"].empty_label = None
        self.fields["parent"].queryset = groups
        self.fields["chair"].queryset = (
            active_people()
            .filter(pk__in=people_visible_to(actor).values("pk"), vetted_at__isnull=False)
            .exclude(role=Role.EXTERNAL_PARTNER)
        )


class JoinForm(forms.Form):
    message = forms.CharField(
        label="Why do you want to join?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The chairs read this.",
    )


class AddMemberForm(forms.Form):
    person = PersonChoice(label="Person", queryset=User.objects.none())
    chair = forms.BooleanField(label="As a chair", required=False)

    def __init__(self, *args: Any, group: InterestGroup, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = group.memberships.filter(status="approved").values("user_id")
        # Only vetted people the chair may see in the directory: the choice list must not leak the address book.
        self.fields["person"].queryset = (
            active_people()
            .filter(pk__in=people_visible_to(actor).values("pk"), vetted_at__isnull=False)
            .exclude(pk__in=members)
        )


# --- Tokens --------------------------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=80, help_text="What uses the token, for example 'reporting script'."
    )
    scope = forms.ChoiceField(label="Scope", choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_days = forms.IntegerField(label="Expires after (days)", min_value=1, max_value=366)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_days"].initial = settings.API_TOKEN_DEFAULT_DAYS
