"""Dissemination: Atom feeds, subscriptions to topics and countries, and personal feed tokens.

- The public feed and the topic feeds carry what an anonymous visitor may see, by construction:
  they read `Practice.objects.visible_to(None)` (the anonymous rule, i.e. published TLP:CLEAR).
- The personal feed `/practices/feed/<secret>.atom` reads `visible_to(user)` for the person behind
  a revocable feed token; an unknown, revoked or deactivated token answers 404, the same answer
  for each, and the response is never stored by a shared cache.
- Subscriptions and feed tokens are written only through the actions (do_subscribe, ...).
The e-mail digests of subscriptions are sent by enlets/practices/tasks.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from enlets.core import audit
from enlets.core.errors import ActionError, NotAllowed
from enlets.core.forms import add_action_errors
from enlets.core.models import TLP
from enlets.network.models import Country
from enlets.practices import actions
from enlets.practices.models import FeedToken, Practice, Subscription, Topic

FEED_SIZE = 50


def published_feed_items(user: Any, topic: Topic | None = None) -> list[Practice]:
    """The newest published practices `user` may see (None: the anonymous rule, CLEAR only)."""
    queryset = Practice.objects.visible_to(user).published()
    if topic is not None:
        in_topic = Practice.topics.through.objects.filter(topic_id=topic.pk)  # access: narrows visible_to
        queryset = queryset.filter(pk__in=in_topic.values("practice_id"))
    return list(
        queryset.select_related("owner_organisation__country")
        .prefetch_related("topics", "countries")
        .order_by("-published_at", "-pk")[:FEED_SIZE]
    )


class _PracticeFeed(Feed):
    """Shared entry rendering: title, the marking and the summary, a link, topics as categories."""

    feed_type = Atom1Feed
    description_template = None

    def item_title(self, item: Practice) -> str:
        return item.title

    def item_description(self, item: Practice) -> str:
        # Django writes this as <summary type="html">: escape the plain-text summary once as HTML, so
        # a feed reader shows "<b>" typed by an author as text and never renders it as markup.
        # The marking comes first, as TLP 2.0 asks.
        return escape(f"TLP:{item.tlp}. {item.summary}".strip())

    def item_link(self, item: Practice) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Practice) -> str:
        return f"urn:uuid:{item.uid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Practice) -> Any:
        return item.published_at

    def item_updateddate(self, item: Practice) -> Any:
        return item.published_at or item.updated_at

    def item_categories(self, item: Practice) -> list[str]:
        return [t.name for t in item.topics.all()] + [f"TLP:{item.tlp}"]

    def item_author_name(self, item: Practice) -> str:
        org = item.owner_organisation
        country = org.country.name if org.country_id else ""
        return f"{org} ({country})" if country else str(org)


class PublicFeed(_PracticeFeed):
    """Every published TLP:CLEAR practice, newest first."""

    title = "ENLETS Hub: public practices"
    subtitle = "Newly published TLP:CLEAR practices of the ENLETS best-practice exchange."

    def link(self) -> str:
        return reverse("practices:list")

    def feed_url(self) -> str:
        return reverse("practices:feed")

    def items(self) -> list[Practice]:
        return published_feed_items(None)


class TopicFeed(_PracticeFeed):
    """The published TLP:CLEAR practices of one topic (a merged topic's feed follows its target)."""

    def get_object(self, request: HttpRequest, slug: str) -> Topic:
        topic = get_object_or_404(Topic, slug=slug)  # access: topics are public reference data
        return topic.final()

    def title(self, obj: Topic) -> str:
        return f"ENLETS Hub: {obj.name} practices"

    def subtitle(self, obj: Topic) -> str:
        return f"Newly published TLP:CLEAR practices on {obj.name}."

    def link(self, obj: Topic) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Topic) -> str:
        return reverse("practices:topic_feed", args=[obj.slug])

    def items(self, obj: Topic) -> list[Practice]:
        return published_feed_items(None, obj)


@dataclass
class _PersonalFeedObject:
    user: Any
    token: FeedToken
    topic: Topic | None


class PersonalFeed(_PracticeFeed):
    """What the token's owner may see, published, newest first; ?topic=<slug> narrows it."""

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        # Never in a shared cache, never in a browser cache: the content is this person's.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    def get_object(self, request: HttpRequest, secret: str) -> _PersonalFeedObject:
        user = actions.authenticate_feed_token(secret)
        if user is None:
            # Unknown, revoked or deactivated: one answer, so a guessed secret learns nothing.
            raise Http404("Not found")
        token = FeedToken.objects.get(secret_hash=actions.hash_feed_secret(secret))  # access: the secret's own
        topic = None
        slug = request.GET.get("topic", "").strip()
        if slug:
            topic = get_object_or_404(Topic, slug=slug[:60]).final()  # access: topics are public
        return _PersonalFeedObject(user=user, token=token, topic=topic)

    def title(self, obj: _PersonalFeedObject) -> str:
        suffix = f": {obj.topic.name}" if obj.topic else ""
        return f"ENLETS Hub: your practices{suffix}"

    def subtitle(self, obj: _PersonalFeedObject) -> str:
        return "Published practices you may see, at every marking you may see. Do not share this feed's address."

    def link(self, obj: _PersonalFeedObject) -> str:
        return reverse("practices:list")

    def items(self, obj: _PersonalFeedObject) -> list[Practice]:
        items = published_feed_items(obj.user, obj.topic)
        sensitive = [p.pk for p in items if p.tlp in TLP.sensitive()]
        if sensitive:
            # One event per fetch naming the AMBER+ practices delivered, not one per practice: feed
            # readers poll every few minutes, and the trail would drown in identical reads.
            audit.record(
                "practices.feed_token.read",
                actor=obj.user,
                obj=obj.token,
                changes={"practices": sensitive},
            )
        return items


# --- Subscriptions ---------------------------------------------------------------------------------


class SubscriptionForm(forms.Form):
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.filter(state="active", merged_into__isnull=True),  # access: topics are public
        required=False,
        empty_label="(no topic)",
        help_text="Follow a topic, a country, or a topic within a country.",
    )
    countries = Country.objects.all()  # access: public reference data
    country = forms.ModelChoiceField(queryset=countries, required=False, empty_label="(any country)")
    frequency = forms.ChoiceField(
        choices=Subscription.Frequency.choices, initial=Subscription.Frequency.WEEKLY, widget=forms.RadioSelect
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("topic") and not data.get("country"):
            raise forms.ValidationError("Choose a topic or a country to follow.")
        return data


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Links from a topic page (?topic=<slug>) or a country (?country=DE) preselect what to follow.
    initial: dict[str, Any] = {}
    if request.GET.get("topic"):
        initial["topic"] = Topic.objects.filter(slug=request.GET["topic"][:60]).first()  # access: topics are public
    if request.GET.get("country"):
        initial["country"] = Country.objects.filter(pk=request.GET["country"][:2].upper()).first()  # access: public
    form = SubscriptionForm(initial=initial)
    if request.method == "POST":
        action = request.POST.get("action", "add")
        if action == "add":
            form = SubscriptionForm(request.POST)
            if form.is_valid():
                try:
                    actions.do_subscribe(
                        user,
                        topic=form.cleaned_data["topic"],
                        country=form.cleaned_data["country"],
                        frequency=form.cleaned_data["frequency"],
                    )
                except ActionError as error:
                    add_action_errors(form, error)
                else:
                    messages.success(request, "Subscription saved.")
                    return redirect("practices:subscriptions")
        elif action in ("remove", "frequency"):
            subscription = get_object_or_404(Subscription, pk=request.POST.get("subscription") or 0, user=user)
            try:
                if action == "remove":
                    actions.do_unsubscribe(user, subscription)
                    messages.success(request, "Subscription removed.")
                else:
                    actions.do_subscribe(
                        user,
                        topic=subscription.topic,
                        country=subscription.country,
                        frequency=request.POST.get("frequency", ""),
                    )
                    messages.success(request, "Frequency changed.")
            except NotAllowed as error:
                raise Http404("Not found") from error
            except ActionError as error:
                messages.error(request, error.message)
            return redirect("practices:subscriptions")
        else:
            messages.error(request, "Unknown action.")
            return redirect("practices:subscriptions")
    items = Subscription.objects.filter(user=user).select_related("topic", "country")  # access: own subscriptions
    return render(
        request,
        "practices/subscriptions.html",
        {"form": form, "subscriptions": items, "frequencies": Subscription.Frequency.choices},
    )


# --- Personal feed tokens --------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def feed_tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    created: dict[str, Any] | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create":
            try:
                token, secret = actions.do_create_feed_token(user)
            except ActionError as error:
                messages.error(request, error.message)
            else:
                # Shown in this response only: only a hash is stored, so it cannot be shown again.
                url = request.build_absolute_uri(reverse("practices:personal_feed", args=[secret]))
                created = {"token": token, "secret": secret, "url": url}
        elif action == "revoke":
            token = get_object_or_404(FeedToken, pk=request.POST.get("token") or 0, user=user)
            try:
                actions.do_revoke_feed_token(user, token)
            except NotAllowed as error:
                raise Http404("Not found") from error
            messages.success(request, "The feed address is revoked: feed readers using it now get “not found”.")
            return redirect("practices:feed_tokens")
        else:
            messages.error(request, "Unknown action.")
            return redirect("practices:feed_tokens")
    confirm = None
    if request.method == "GET" and request.GET.get("revoke"):
        # The confirmation step before revoking (a feed reader using it stops working).
        confirm = get_object_or_404(
            FeedToken, pk=request.GET["revoke"] if request.GET["revoke"].isdigit() else 0, user=user
        )
    tokens = FeedToken.objects.filter(user=user).order_by("-created_at", "-pk")  # access: own feed addresses
    return render(request, "practices/feed_tokens.html", {"tokens": tokens, "created": created, "confirm": confirm})
