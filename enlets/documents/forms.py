"""Forms of the document library: list filters, the document form, hand-over of ownership.

The forms only read and check input; every write goes through enlets.documents.actions, whose
InvalidInput field errors are put back on these forms by `add_action_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from enlets.core.errors import InvalidInput
from enlets.core.forms import add_action_errors
from enlets.core.models import TLP
from enlets.core.shared import validate_marking
from enlets.core.uploads import allowed_in_words, limit_in_words
from enlets.documents.models import Document
from enlets.network.models import Country, InterestGroup, Organisation, User

# What each marking means, shown beside its radio button (and in the API docs in words).
TLP_EXPLANATIONS: dict[str, str] = {
    TLP.CLEAR: "Everyone, including the public. No audience needed.",
    TLP.GREEN: "Every signed-in member of the ENLETS community; not external partners. No audience needed.",
    TLP.AMBER: "Need to know: the people of the countries, organisations and interest groups you choose, "
    "plus the people you name. In a group or country space, that space is the default audience.",
    TLP.AMBER_STRICT: "Only the people of the organisations you choose, plus the people you name.",
    TLP.RED: "Only the people you name.",
}

SORTS = {"title": "title", "updated": "updated_at", "created": "created_at", "tlp": "tlp_rank"}


def _people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, organisation__isnull=False).select_related("organisation")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        org = f" ({obj.organisation})" if obj.organisation_id else ""
        return f"{obj.display_name}{org}"


class OrganisationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.country_id})"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        org = f" ({obj.organisation})" if obj.organisation_id else ""
        return f"{obj.display_name} · {obj.username}{org}"


class DocumentFilterForm(forms.Form):
    """The filters of the document list (GET). Invalid values are ignored, never an error page."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title or summary"}),
    )
    space = forms.ChoiceField(label="Space", required=False, choices=[("", "Any space"), *Document.Space.choices])
    group = forms.SlugField(label="Group", required=False, widget=forms.HiddenInput)
    country = forms.CharField(label="Country", required=False, max_length=2, widget=forms.HiddenInput)
    tlp = forms.ChoiceField(label="Marking", required=False, choices=[("", "Any marking"), *TLP.choices])
    state = forms.ChoiceField(label="State", required=False, choices=[("", "Any state"), *Document.State.choices])
    mine = forms.BooleanField(label="Only mine", required=False)

    def filter(self, queryset: QuerySet[Document], user: User) -> QuerySet[Document]:
        """Narrow an already visibility-filtered queryset by the valid filters."""
        if not self.is_valid():
            # Keep what is valid: drop the fields that failed and filter on the rest.
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        if data.get("q"):
            q = data["q"].strip()
            queryset = queryset.filter(Q(title__icontains=q) | Q(summary__icontains=q))
        if data.get("space"):
            queryset = queryset.filter(space=data["space"])
        if data.get("group"):
            queryset = queryset.filter(space_group__slug=data["group"])
        if data.get("country"):
            queryset = queryset.filter(space_country_id=data["country"].upper())
        if data.get("tlp"):
            queryset = queryset.filter(tlp=data["tlp"])
        if data.get("state"):
            queryset = queryset.filter(state=data["state"])
        if data.get("mine"):
            through = Document.co_authors.through
            queryset = queryset.filter(
                Q(owner_id=user.pk) | Q(pk__in=through.objects.filter(user_id=user.pk).values("document_id"))
            )
        return queryset


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by enlets.core.uploads.check_upload."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class TLPRadioSelect(forms.RadioSelect):
    """Radio buttons whose options carry the explanation of each marking (rendered by the page)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["explanation"] = TLP_EXPLANATIONS.get(option["value"], "")
        return option


class DocumentForm(forms.Form):
    """Create and edit a document. The space is one choice: personal, my country, or one of my groups."""

    title = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=300, required=False, help_text="One or two sentences shown in lists.")
    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Markdown: # headings, **bold**, *italic*, - lists, [links](https://…), tables. "
        "HTML is shown as text, not interpreted.",
    )
    space = forms.ChoiceField(label="Space", help_text="Where the document lives. The marking decides who sees it.")
    tlp = forms.ChoiceField(label="TLP marking", choices=TLP.choices, initial=TLP.GREEN, widget=TLPRadioSelect)
    audience_countries = forms.ModelMultipleChoiceField(
        label="Countries",
        queryset=Country.objects.all(),
        required=False,
        help_text="Used by TLP:AMBER: everyone in the organisations of these countries.",
    )
    audience_organisations = OrganisationChoiceField(
        label="Organisations",
        queryset=Organisation.objects.select_related("country"),
        required=False,
        help_text="Used by TLP:AMBER and TLP:AMBER+STRICT.",
    )
    audience_groups = forms.ModelMultipleChoiceField(
        label="Interest groups",
        queryset=InterestGroup.objects.filter(archived_at__isnull=True),
        required=False,
        help_text="Used by TLP:AMBER: the approved members of these groups.",
    )
    audience_people = PersonChoiceField(
        label="Named people",
        queryset=_people(),
        required=False,
        help_text="Used by TLP:AMBER, TLP:AMBER+STRICT and TLP:RED (RED: only these people).",
    )
    co_authors = PersonChoiceField(
        label="Co-authors",
        queryset=_people(),
        required=False,
        help_text="Co-authors always see the document and may edit it. Only the owner changes this list.",
    )
    state = forms.ChoiceField(
        choices=[
            (Document.State.DRAFT, "Draft (only you and the co-authors see it)"),
            (Document.State.PUBLISHED, "Published (the marking applies)"),
        ],
        initial=Document.State.DRAFT,
    )
    files = MultipleFileField(
        label="Attach files",
        required=False,
        help_text=f"Optional. At most {limit_in_words()} each. Accepted: {allowed_in_words()}.",
    )

    AUDIENCE = ("audience_countries", "audience_organisations", "audience_groups", "audience_people")

    def __init__(self, *args: Any, user: User, document: Document | None = None, **kwargs: Any) -> None:
        self.user = user
        self.document = document
        super().__init__(*args, **kwargs)
        self.group_by_slug = {g.slug: g for g in self._space_groups()}
        choices: list[tuple[str, str]] = [(Document.Space.PERSONAL, "Personal")]
        if user.organisation_id:
            country = user.organisation.country
            choices.append((f"country:{country.pk}", f"My country: {country}"))
        if (
            document is not None
            and document.space_country_id
            and f"country:{document.space_country_id}" not in dict(choices)
        ):
            # Keep the current country space selectable for a co-author from elsewhere.
            choices.append((f"country:{document.space_country_id}", f"Country: {document.space_country}"))
        choices += [(f"group:{slug}", f"Group: {g}") for slug, g in self.group_by_slug.items()]
        self.fields["space"].choices = choices
        self.fields["files"].help_text = f"Optional. At most {limit_in_words()} each. Accepted: {allowed_in_words()}."
        if document is not None:
            self.fields["state"].choices = [
                *self.fields["state"].choices,
                (Document.State.ARCHIVED, "Archived (kept, still visible by its marking)"),
            ]
            if document.owner_id != user.pk:
                # The action lets only the owner change the co-authors; say so instead of failing later.
                self.fields["co_authors"].disabled = True
                self.fields["co_authors"].help_text = "Only the owner changes the co-authors."
            # Also when bound: a disabled field (co-authors for a co-author) takes its value from here.
            self.initial = {**self.initial_from(document), **self.initial}

    def _space_groups(self) -> list[InterestGroup]:
        """My groups, plus the document's current group (a co-author may edit a document of a group they left)."""
        ids = set(self.user.approved_group_ids())
        if self.document is not None and self.document.space_group_id:
            ids.add(self.document.space_group_id)
        return list(InterestGroup.objects.filter(pk__in=ids).select_related("parent").order_by("name"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The action checks the marking again; checking here too shows its error together with the others
        # (for example beside a refused file, which stops the form before the action runs).
        if data.get("tlp"):
            try:
                validate_marking(data["tlp"], {name: data.get(name) or [] for name in self.AUDIENCE})
            except InvalidInput as error:
                add_action_errors(self, error, self.ERROR_FIELDS)
        return data

    @staticmethod
    def space_value(document: Document) -> str:
        if document.space == Document.Space.COUNTRY and document.space_country_id:
            return f"country:{document.space_country_id}"
        if document.space == Document.Space.GROUP and document.space_group_id:
            return f"group:{document.space_group.slug}"
        return Document.Space.PERSONAL

    @classmethod
    def initial_from(cls, document: Document) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": document.title,
            "summary": document.summary,
            "body": document.body,
            "space": cls.space_value(document),
            "tlp": document.tlp,
            "state": document.state,
            "co_authors": list(document.co_authors.all()),
        }
        for name in cls.AUDIENCE:
            initial[name] = list(getattr(document, name).all())
        return initial

    def space_data(self) -> dict[str, Any]:
        """The space choice as the action's fields: space, space_country, space_group."""
        value = self.cleaned_data["space"]
        if value.startswith("country:"):
            return {
                "space": Document.Space.COUNTRY,
                "space_country": Country.objects.get(pk=value.split(":", 1)[1]),
                "space_group": None,
            }
        if value.startswith("group:"):
            return {
                "space": Document.Space.GROUP,
                "space_country": None,
                "space_group": self.group_by_slug[value.split(":", 1)[1]],
            }
        return {"space": Document.Space.PERSONAL, "space_country": None, "space_group": None}

    def audience(self) -> dict[str, Iterable[Any]]:
        return {name: list(self.cleaned_data.get(name) or []) for name in self.AUDIENCE}

    def action_data(self) -> dict[str, Any]:
        """Keyword arguments for do_create_document / do_update_document."""
        data = {
            "title": self.cleaned_data["title"],
            "summary": self.cleaned_data.get("summary") or "",
            "body": self.cleaned_data.get("body") or "",
            **self.space_data(),
        }
        return {
            "tlp": self.cleaned_data["tlp"],
            "state": self.cleaned_data["state"],
            "audience": self.audience(),
            **data,
        }

    # Where the action's field errors go on this form.
    ERROR_FIELDS = {"space_country": "space", "space_group": "space", "file": "files"}


class TransferForm(forms.Form):
    new_owner = PersonField(
        label="New owner",
        queryset=_people(),
        help_text="An active person with an organisation. You keep access only if the marking "
        "or audience includes you.",
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = _people().exclude(pk=document.owner_id)
