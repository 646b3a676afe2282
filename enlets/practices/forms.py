"""The practice form: every field of the template (DOMAIN.md), grouped as the practice page shows them.

The form only reads and checks input; every write goes through enlets.practices.actions, whose
InvalidInput field errors are put back on these fields by `add_action_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from enlets.core.errors import InvalidInput
from enlets.core.forms import add_action_errors
from enlets.core.models import TLP
from enlets.core.shared import AUDIENCE_FIELDS, validate_marking
from enlets.core.uploads import allowed_in_words, limit_in_words

# The widgets and choice fields of the document form are generic (people, organisations, several
# files, TLP radios with their explanation): the practice form uses the same ones.
from enlets.documents.forms import (
    MultipleFileField,
    OrganisationChoiceField,
    PersonChoiceField,
    TLPRadioSelect,
)
from enlets.network.models import Country, InterestGroup, Organisation, User
from enlets.practices import actions
from enlets.practices.diff import MARKDOWN_FIELDS
from enlets.practices.models import CostBand, DpiaStatus, Practice, ProcurementRoute, Topic
from enlets.search.languages import Language

MARKDOWN_HELP = "Markdown: **bold**, *italic*, - lists, [links](https://…), tables. HTML is shown as text."


def _people() -> Any:
    return User.objects.filter(is_active=True, organisation__isnull=False).select_related("organisation")


def _markdown(label: str, help_text: str, rows: int = 6) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=f"{help_text} {MARKDOWN_HELP}",
    )


class PracticeForm(forms.Form):
    """Create and edit a practice. Only the title is needed to save a draft; the review needs the
    rest (workflow.REQUIRED_FOR_SUBMISSION), so the fields say what a good practice gives."""

    # Summary
    title = forms.CharField(
        max_length=200, help_text="What was done, where: e.g. “Fixed ANPR on motorways in the Netherlands”."
    )
    summary = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Two or three sentences shown in lists and summaries: the problem, the solution, the result.",
    )
    language = forms.ChoiceField(
        label="Language",
        choices=Language.choices,
        initial="en",
        # Left out (an older client, a script): English, the model's default.
        required=False,
        help_text="The language the practice is written in: search finds its words in their other forms.",
    )
    topics = forms.ModelMultipleChoiceField(
        label="Topics",
        queryset=Topic.objects.none(),
        required=False,
        help_text="The topic's reviewers review the practice. Hold Ctrl (⌘ on a Mac) to choose several.",
    )
    countries = forms.ModelMultipleChoiceField(
        label="Member states involved", queryset=Country.objects.all(), required=False
    )
    organisations = OrganisationChoiceField(
        label="Organisations involved", queryset=Organisation.objects.select_related("country"), required=False
    )
    # Problem and solution
    problem = _markdown("Operational problem", "What went wrong or was missing, for whom, how often.")
    solution = _markdown("Solution", "What was done and how the technology is used in operations.")
    technology = forms.CharField(
        label="Technology used",
        max_length=300,
        required=False,
        help_text="Short: the kind of technology and products, e.g. “ANPR cameras, hit-list matching”.",
    )
    # Implementation
    implementation_start = forms.DateField(
        label="Start", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    implementation_end = forms.DateField(
        label="End",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty while it is still running.",
    )
    cost_band = forms.ChoiceField(label="Cost band", choices=CostBand.choices, required=False)
    staffing = forms.CharField(
        label="Staffing", max_length=300, required=False, help_text="People and skills it took, e.g. “2 FTE analysts”."
    )
    procurement_route = forms.ChoiceField(label="Procurement route", choices=ProcurementRoute.choices, required=False)
    implementation = _markdown("How it was implemented", "Steps, time, cost, people, procurement, pitfalls.")
    # Results and lessons
    results = _markdown("Results and evidence", "What was measured, before and after: figures, not only claims.")
    lessons = _markdown("Lessons learned", "What you would do differently; what others should watch out for.")
    # Legal and rights
    legal_basis = _markdown("Legal basis", "The law or regulation the practice rests on.", rows=4)
    dpia = forms.ChoiceField(label="Data-protection impact assessment", choices=DpiaStatus.choices, required=False)
    fundamental_rights = _markdown(
        "Fundamental-rights considerations", "Privacy, proportionality, oversight, non-discrimination.", rows=4
    )
    # Transferability and contacts
    transferability = _markdown(
        "Transferability", "What another state needs to adopt it: law, data, people, money, partners."
    )
    contacts = PersonChoiceField(
        label="Contact people",
        queryset=User.objects.none(),
        required=False,
        help_text="Who answers questions. Signed-in community members see their e-mail address.",
    )
    contact_note = forms.CharField(
        label="Other contact details",
        max_length=300,
        required=False,
        help_text="E.g. a functional mailbox, when no person is named.",
    )
    # Marking and audience
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
        queryset=User.objects.none(),
        required=False,
        help_text="Used by TLP:AMBER, TLP:AMBER+STRICT and TLP:RED (RED: only these people).",
    )
    co_authors = PersonChoiceField(
        label="Co-authors",
        queryset=User.objects.none(),
        required=False,
        help_text="Co-authors always see the practice and may edit it. Only the owner changes this list.",
    )
    # Public teaser
    public_teaser = forms.CharField(
        label="Public teaser",
        max_length=600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, TLP:CLEAR: a short abstract anyone may read once the practice is published, "
        "while the details keep the marking above. Write nothing here that is not public.",
    )
    note = forms.CharField(
        label="What changed",
        max_length=300,
        required=False,
        help_text="The practice is published: your change is kept as a new revision with this note, "
        "and the topic's reviewers are told.",
    )
    files = MultipleFileField(label="Attach files", required=False)

    # The page's fieldsets: (legend, field names). The "what changed" note and the files follow.
    FIELDSETS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Summary", ("title", "summary", "language", "topics", "countries", "organisations")),
        ("Problem and solution", ("problem", "solution", "technology")),
        (
            "Implementation",
            (
                "implementation_start",
                "implementation_end",
                "cost_band",
                "staffing",
                "procurement_route",
                "implementation",
            ),
        ),
        ("Results and lessons", ("results", "lessons")),
        ("Legal and rights", ("legal_basis", "dpia", "fundamental_rights")),
        ("Transferability and contacts", ("transferability", "contacts", "contact_note")),
        ("Marking and audience", ("tlp", *AUDIENCE_FIELDS, "co_authors")),
        ("Public teaser", ("public_teaser",)),
    )
    CONTENT_FIELDS = actions.CONTENT_FIELDS
    RELATED_FIELDS = actions.RELATED_FIELDS
    MARKDOWN_FIELDS = MARKDOWN_FIELDS
    # Where the action's field errors go on this form.
    ERROR_FIELDS: dict[str, str] = {"file": "files"}

    def __init__(self, *args: Any, user: User, practice: Practice | None = None, **kwargs: Any) -> None:
        self.user = user
        self.practice = practice
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.filter(state=Topic.State.ACTIVE)
        for name in ("contacts", "audience_people", "co_authors"):
            self.fields[name].queryset = _people()
        self.fields["files"].help_text = f"Optional. At most {limit_in_words()} each. Accepted: {allowed_in_words()}."
        if practice is None or practice.state != Practice.State.PUBLISHED:
            # The note only means something for a published practice (it labels the new revision).
            del self.fields["note"]
        if practice is not None:
            if practice.owner_id != user.pk:
                # The action lets only the owner change the co-authors; say so instead of failing later.
                self.fields["co_authors"].disabled = True
                self.fields["co_authors"].help_text = "Only the owner changes the co-authors."
            # Also when bound: a disabled field takes its value from here.
            self.initial = {**self.initial_from(practice), **self.initial}
        else:
            # New practices name the author's own country, organisation and the author as contact,
            # as the action would; the author changes that here.
            self.initial = {
                "countries": [user.organisation.country_id] if user.organisation_id else [],
                "organisations": [user.organisation_id] if user.organisation_id else [],
                "contacts": [user.pk],
                **self.initial,
            }

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.FIELDSETS]

    @classmethod
    def initial_from(cls, practice: Practice) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(practice, name) for name in cls.CONTENT_FIELDS}
        for name in (*cls.RELATED_FIELDS, *AUDIENCE_FIELDS, "co_authors"):
            initial[name] = list(getattr(practice, name).all())
        initial["tlp"] = practice.tlp
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The action checks the marking again; checking here too shows its error beside the others
        # (e.g. beside a refused file, which stops the form before the action runs).
        if data.get("tlp"):
            try:
                validate_marking(data["tlp"], {name: data.get(name) or [] for name in AUDIENCE_FIELDS})
            except InvalidInput as error:
                add_action_errors(self, error, self.ERROR_FIELDS)
        start, end = data.get("implementation_start"), data.get("implementation_end")
        if start and end and end < start:
            self.add_error("implementation_end", "The end comes before the start.")
        return data

    def audience(self) -> dict[str, Iterable[Any]]:
        return {name: list(self.cleaned_data.get(name) or []) for name in AUDIENCE_FIELDS}

    def action_data(self) -> dict[str, Any]:
        """Keyword arguments for do_create_practice / do_update_practice (co-authors apart)."""
        data: dict[str, Any] = {}
        for name in self.CONTENT_FIELDS:
            value = self.cleaned_data.get(name)
            data[name] = value if value is not None else ("" if name not in actions.DATE_FIELDS else None)
        for name in self.RELATED_FIELDS:
            data[name] = list(self.cleaned_data.get(name) or [])
        data["tlp"] = self.cleaned_data["tlp"]
        data["audience"] = self.audience()
        return data
