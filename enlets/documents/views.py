"""Pages of the document library. Thin: visibility via visible_to / get_visible_or_404, writes via actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from enlets.core.errors import ActionError, NotAllowed
from enlets.core.forms import add_action_errors
from enlets.core.listing import paginate, sort_queryset
from enlets.core.models import marking_rank
from enlets.core.shared import get_visible_or_404, serve_attachment
from enlets.core.uploads import save_form_with_files
from enlets.documents import actions
from enlets.documents.forms import SORTS, DocumentFilterForm, DocumentForm, TransferForm
from enlets.documents.models import Attachment, Document
from enlets.network.models import Country, InterestGroup


def _sign_in_unless_visible(request: HttpRequest, pk: int) -> HttpResponse | None:
    """Anonymous visitors see CLEAR documents; for anything else they are asked to sign in
    (the same answer whether the document exists or not, so nothing leaks)."""
    if request.user.is_authenticated or Document.objects.visible_to(request.user).filter(pk=pk).exists():
        return None
    return redirect_to_login(request.get_full_path())


# Public: anonymous visitors get the CLEAR documents (DESIGN.md: CLEAR is for everyone).
def document_list(request: HttpRequest) -> HttpResponse:
    filters = DocumentFilterForm(request.GET or None)
    queryset = Document.objects.visible_to(request.user).select_related(
        "owner", "owner_organisation", "space_country", "space_group"
    )
    if filters.is_bound:
        queryset = filters.filter(queryset, request.user)
    # TLP sorts by strictness, not alphabetically.
    queryset = queryset.annotate(tlp_rank=marking_rank())
    queryset, sort = sort_queryset(request, queryset, SORTS, "-updated")
    page = paginate(request, queryset)
    # The group and country filters come from links (a group page, a country page): name them.
    group_slug, country_code = request.GET.get("group", ""), request.GET.get("country", "").upper()
    groups = InterestGroup.objects.filter(slug=group_slug)  # access: names the filter; groups are listed to all
    group = groups.first() if group_slug else None
    countries = Country.objects.filter(pk=country_code)  # access: countries are public reference data
    country = countries.first() if country_code else None
    create_query = f"?space=group&group={group.slug}" if group is not None else ""
    return render(
        request,
        "documents/list.html",
        {
            **page.context(),
            "filters": filters,
            "sort": sort,
            "filter_group": group,
            "filter_country": country,
            "can_create": actions.can_create(request.user),
            "create_query": create_query,
            "sorts": [
                ("-updated", "Recently updated"),
                ("-created", "Newest"),
                ("title", "Title A to Z"),
                ("-title", "Title Z to A"),
                ("tlp", "Marking, least restricted first"),
                ("-tlp", "Marking, most restricted first"),
            ],
        },
    )


def _initial_space(request: HttpRequest, form: DocumentForm) -> str | None:
    """?space=group&group=<slug> or ?space=country preselects the space, when it is one of mine."""
    space = request.GET.get("space", "")
    if space == "group":
        value = f"group:{request.GET.get('group', '')}"
    elif space == "country" and request.user.organisation_id:
        value = f"country:{request.user.organisation.country_id}"
    else:
        return None
    return value if value in dict(form.fields["space"].choices) else None


@login_required
@require_http_methods(["GET", "POST"])
def document_create(request: HttpRequest) -> HttpResponse:
    if not actions.can_create(request.user):
        raise PermissionDenied("Only active people with an organisation create documents.")
    if request.method == "POST":
        form = DocumentForm(request.POST, request.FILES, user=request.user)
        document = save_form_with_files(
            form,
            lambda data: actions.do_create_document(request.user, co_authors=form.cleaned_data["co_authors"], **data),
            lambda item, upload: actions.do_add_attachment(request.user, item, upload),
            DocumentForm.ERROR_FIELDS,
        )
        if document is not None:
            messages.success(request, "Document created.")
            return redirect(document)
    else:
        form = DocumentForm(user=request.user)
        space = _initial_space(request, form)
        if space:
            form.initial["space"] = space
    return render(request, "documents/form.html", {"form": form, "document": None})


def _editable_or_403(request: HttpRequest, pk: int) -> Document:
    document = get_visible_or_404(Document, request.user, pk)
    if not actions.can_edit(request.user, document):
        raise PermissionDenied("Only the owner and the co-authors edit this document.")
    return document


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = _editable_or_403(request, pk)
    if request.method == "POST":
        form = DocumentForm(request.POST, request.FILES, user=request.user, document=document)

        def write(data: dict[str, Any]) -> Document:
            # Only the owner changes the co-authors (the field is disabled for the others).
            co_authors = None if form.fields["co_authors"].disabled else form.cleaned_data["co_authors"]
            return actions.do_update_document(request.user, document, co_authors=co_authors, **data)

        saved = save_form_with_files(
            form,
            write,
            lambda item, upload: actions.do_add_attachment(request.user, item, upload),
            DocumentForm.ERROR_FIELDS,
        )
        if saved is not None:
            messages.success(request, "Document saved.")
            return redirect(saved)
    else:
        form = DocumentForm(user=request.user, document=document)
    return render(
        request, "documents/form.html", {"form": form, "document": document, "attachments": document.attachments.all()}
    )


def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (sign_in := _sign_in_unless_visible(request, pk)) is not None:
        return sign_in
    document = get_visible_or_404(Document, request.user, pk)
    document = Document.objects.select_related(
        "owner", "owner_organisation__country", "space_country", "space_group"
    ).get(pk=document.pk)
    editable = actions.can_edit(request.user, document)
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "co_authors": document.co_authors.all(),
            "attachments": document.attachments.all(),
            "can_edit": editable,
            "is_owner": document.owner_id == request.user.pk and request.user.is_active,
        },
    )


def attachment_download(request: HttpRequest, pk: int, att_pk: int) -> HttpResponse:
    if (sign_in := _sign_in_unless_visible(request, pk)) is not None:
        return sign_in
    document = get_visible_or_404(Document, request.user, pk, audit_read=False)
    return serve_attachment(request.user, document, att_pk)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, att_pk: int) -> HttpResponse:
    document = get_visible_or_404(Document, request.user, pk, audit_read=False)
    attachment = get_object_or_404(Attachment, pk=att_pk, document=document)
    try:
        actions.do_remove_attachment(request.user, attachment)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    messages.success(request, f"Removed the file {attachment.original_name}.")
    return redirect(document)


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_visible_or_404(Document, request.user, pk, audit_read=request.method == "GET")
    if document.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner deletes a document.")
    if request.method == "POST":
        try:
            actions.do_delete_document(request.user, document)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        messages.success(request, f"Deleted “{document.title}”.")
        return redirect("documents:list")
    return render(request, "documents/delete.html", {"document": document, "attachments": document.attachments.all()})


@login_required
@require_http_methods(["GET", "POST"])
def document_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_visible_or_404(Document, request.user, pk)
    if document.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner hands a document over.")
    form = TransferForm(request.POST or None, document=document)
    if request.method == "POST" and form.is_valid():
        new_owner = form.cleaned_data["new_owner"]
        try:
            actions.do_transfer_document(request.user, document, new_owner)
        except ActionError as error:
            add_action_errors(form, error, {"owner": "new_owner"})
        else:
            messages.success(request, f"{new_owner.display_name} now owns “{document.title}”.")
            still_visible = Document.objects.visible_to(request.user).filter(pk=document.pk).exists()
            return redirect(document if still_visible else "documents:list")
    return render(request, "documents/transfer.html", {"form": form, "document": document})
