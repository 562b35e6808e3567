"""Listings and their sections: list, create, read, and save one section with its lock version."""

from __future__ import annotations

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from listings import services
from listings.api.serializers import (
    ListingCreateSerializer,
    ListingDetailSerializer,
    ListingSummarySerializer,
    SectionWriteSerializer,
    api_url,
)
from listings.api.views.base import ApiView, errors
from listings.errors import Conflict, NotAllowed
from listings.models import EDITING_ROLES, ListingSection, ListingStatus, ProductKind, Team
from listings.permissions import can_edit, role_in_team
from listings.sections import BY_NAME, SECTIONS, sections_for
from listings.selectors import get_listing_for_user, listings_visible_to
from listings.snapshot import build_snapshot, content_hash
from listings.transitions import EDITABLE_STATUSES
from validation.selectors import latest_run
from validation.snapshot_schema import empty_snapshot


def listing_body(listing, request) -> dict:
    """The listing as ``ListingDetailSerializer`` describes it: state, per-section lock versions, snapshot, links."""
    context = {"request": request}
    rows = {row.name: row for row in listing.sections.select_related("updated_by")}
    snapshot = build_snapshot(listing)
    run = latest_run(listing)
    return {
        "id": listing.id,
        "team": {"id": listing.team.id, "name": listing.team.name},
        "kind": listing.kind,
        "status": listing.status,
        "title": listing.title,
        "lock_version": listing.lock_version,
        "can_edit": can_edit(request.user, listing),
        "editable": listing.status in EDITABLE_STATUSES,
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "sections": {
            spec.name: {
                "lock_version": rows[spec.name].lock_version,
                "updated_at": rows[spec.name].updated_at,
                "updated_by": rows[spec.name].updated_by.get_username() if rows[spec.name].updated_by else None,
                "url": api_url("listing-section", context, listing_id=listing.id, name=spec.name),
            }
            for spec in sections_for(listing.kind) if spec.name in rows
        },
        "snapshot": snapshot,
        "latest_run": None if run is None else {
            "id": run.id, "url": api_url("run-detail", context, run_id=run.id), "status": run.status,
            "verdict": run.verdict, "is_current": run.content_hash == content_hash(snapshot),
        },
        "links": {
            "self": api_url("listing-detail", context, listing_id=listing.id),
            "validate": api_url("listing-validate", context, listing_id=listing.id),
            "runs": api_url("listing-runs", context, listing_id=listing.id),
            "submit": api_url("listing-submit", context, listing_id=listing.id),
            "versions": api_url("listing-versions", context, listing_id=listing.id),
            "web": request.build_absolute_uri(reverse("listing-detail", args=[listing.id])),
        },
    }


class ListingListView(ApiView):
    def get_serializer_class(self):
        return ListingCreateSerializer if self.request.method == "POST" else ListingSummarySerializer

    def get_queryset(self):
        listings = listings_visible_to(self.request.user).order_by("-updated_at", "id")
        for name, allowed in (("status", ListingStatus.values), ("kind", ProductKind.values)):
            value = self.request.query_params.get(name)
            if value:
                if value not in allowed:
                    raise ValidationError({name: [f"Choose one of: {', '.join(allowed)}."]})
                listings = listings.filter(**{name: value})
        team = self.request.query_params.get("team")
        if team:
            listings = listings.filter(team__id=team) if _is_uuid(team) else listings.none()
        return listings

    @extend_schema(
        summary="Your teams' listings",
        parameters=[
            OpenApiParameter("status", enum=ListingStatus.values, description="Only listings in this state."),
            OpenApiParameter("kind", enum=ProductKind.values),
            OpenApiParameter("team", OpenApiTypes.UUID, description="Only this team's listings."),
        ],
        responses={200: ListingSummarySerializer(many=True), **errors(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Create a listing",
        description="Owners and editors of the team only. The title and short description are checked with the "
                    "same rules as the web form; the other sections start empty (GET the listing to see them).",
        request=ListingCreateSerializer,
        responses={201: ListingDetailSerializer, **errors(400, 403)},
    )
    def post(self, request):
        teams = Team.objects.filter(memberships__user=request.user)
        serializer = ListingCreateSerializer(data=request.data, teams=teams)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if role_in_team(request.user, data["team"].id) not in EDITING_ROLES:
            # The service refuses too; asking first tells a viewer so before any remark about the title.
            raise NotAllowed("Only owners and editors of the team can create listings.")
        listing = services.listing_create(team=data["team"], actor=request.user, kind=data["kind"],
                                          title=data["title"], short_description=data["short_description"])
        listing = get_listing_for_user(request.user, listing.id)
        body = listing_body(listing, request)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["links"]["self"]})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class ListingDetailView(ApiView):
    @extend_schema(summary="A listing: state, sections' lock versions and the full snapshot",
                   responses={200: ListingDetailSerializer, **errors(404)})
    def get(self, request, listing_id):
        listing = get_listing_for_user(request.user, listing_id)
        return Response(listing_body(listing, request))


# ------------------------------------------------------------------------------------------------- sections
def _section_spec(listing, name: str):
    spec = BY_NAME.get(name)
    if spec is None or listing.kind not in spec.kinds:
        raise Http404(f"A {listing.get_kind_display().lower()} has no section “{name}”.")
    return spec


def section_body(spec, row: ListingSection, kind: str) -> dict:
    """The section's JSON as validation/SNAPSHOT.md has it, plus the lock version to send back with a PUT."""
    data = row.data if isinstance(row.data, dict) else {}
    empty = empty_snapshot(kind)
    return {**{key: data.get(key, empty[key]) for key in spec.keys}, "lock_version": row.lock_version}


_EMPTY = empty_snapshot("algorithm")  # every key of every section
_SECTION_EXAMPLES = [
    OpenApiExample(f"{spec.title} (empty)", value={**{key: _EMPTY[key] for key in spec.keys}, "lock_version": 1},
        description=f"Keys of the {spec.name} section (validation/SNAPSHOT.md).")
    for spec in SECTIONS
]
_SECTION_NAME = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, enum=[s.name for s in SECTIONS],
    description="hyperparameters and training exist for algorithms only.")


class SectionView(ApiView):
    serializer_class = SectionWriteSerializer

    def _lookup(self, request, listing_id, name):
        listing = get_listing_for_user(request.user, listing_id)
        spec = _section_spec(listing, name)
        return listing, spec

    @extend_schema(
        summary="One section of a listing",
        description="The section's keys exactly as validation/SNAPSHOT.md describes them, plus `lock_version`.",
        parameters=[_SECTION_NAME],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, examples=_SECTION_EXAMPLES), **errors(404)},
    )
    def get(self, request, listing_id, name):
        listing, spec = self._lookup(request, listing_id, name)
        row = get_object_or_404(ListingSection.objects.select_related("updated_by"), listing=listing, name=name)
        return Response(section_body(spec, row, listing.kind))

    @extend_schema(
        summary="Save one section",
        description=(
            "Send every key of the section (a missing key is saved empty) and the `lock_version` you read. "
            "A stale `lock_version` is refused with 409 and `error.current` holding the saved section. Values "
            "AWS would reject are refused with 400 and the findings under `error.fields`, keyed by field path "
            "(`product.search_keywords[3]`) with the rule codes the web form shows. Missing required values do "
            "not block a save; they block submission through the validation run."
        ),
        parameters=[_SECTION_NAME],
        request=OpenApiTypes.OBJECT,
        examples=_SECTION_EXAMPLES,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The saved section."),
                   **errors(400, 403, 404, 409)},
    )
    def put(self, request, listing_id, name):
        listing, spec = self._lookup(request, listing_id, name)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send the section as a JSON object."]})
        envelope = SectionWriteSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        data = {key: value for key, value in request.data.items() if key != "lock_version"}
        try:
            row = services.section_save(listing=listing, actor=request.user, section=name, data=data,
                                        lock_version=envelope.validated_data["lock_version"])
        except Conflict as exc:
            current = exc.current or {}
            theirs = ListingSection(data=current.get("data") or {}, lock_version=current.get("lock_version") or 0)
            raise Conflict(str(exc), current=section_body(spec, theirs, listing.kind)) from exc
        return Response(section_body(spec, row, listing.kind))
