"""What the API reads and writes. Output serializers shape rows for clients; input serializers check only the
envelope (types, required keys) — every rule about the listing's values is the services' and the checks'.

Strings are never trimmed or rewritten on the way in: the API stores what the client sent, so a listing read
back is the listing written (issue 3, "round-trips unchanged"), and the checks judge exactly that.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from listings.forms import RequestChangesForm
from listings.api.fields import JobStatusField, ListingStatusField, VersionStatusField
from listings.jobs import JobStatus
from listings.models import ListingVersion, ProductKind, Team
from validation.models import Finding, ValidationRun
from validation.rules import CATALOG, POLICIES


def api_url(route: str, context: dict, /, **kwargs) -> str:
    return reverse(f"api:v1:{route}", kwargs=kwargs, request=context.get("request"))


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# ------------------------------------------------------------------------------------------------------ teams
class TeamSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="team.id", read_only=True)
    name = serializers.CharField(source="team.name", read_only=True)
    role = serializers.CharField(read_only=True, help_text="owner, editor or viewer: owners and editors can write.")


class TeamRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


# --------------------------------------------------------------------------------------------------- listings
class ListingSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.SerializerMethodField()
    team = TeamRefSerializer(read_only=True)
    kind = serializers.ChoiceField(choices=ProductKind.choices, read_only=True)
    status = ListingStatusField(read_only=True)
    title = serializers.CharField(read_only=True)
    lock_version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_url(self, listing) -> str:
        return api_url("listing-detail", self.context, listing_id=listing.id)


class ListingCreateSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), help_text="The id of one of your teams (GET /api/v1/teams/).")
    kind = serializers.ChoiceField(choices=ProductKind.choices)
    title = serializers.CharField(trim_whitespace=False)
    short_description = serializers.CharField(trim_whitespace=False, allow_blank=True, required=False, default="")

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Another team's id reads as "no such team", the same as a made-up one (DESIGN.md: tenancy).
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()


class SectionStateSerializer(serializers.Serializer):
    lock_version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    updated_by = serializers.CharField(allow_null=True)
    url = serializers.URLField()


class RunRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    status = JobStatusField()
    verdict = serializers.CharField(help_text="passed, failed, or empty while the run has not finished.")
    is_current = serializers.BooleanField(help_text="True when the run checked exactly the listing as it is now.")


class ListingLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    validate = serializers.URLField()
    runs = serializers.URLField()
    submit = serializers.URLField()
    versions = serializers.URLField()
    web = serializers.URLField()


class ListingDetailSerializer(serializers.Serializer):
    """Built by the view from the listing, its section rows and its snapshot (see ``views.listing_body``)."""

    id = serializers.UUIDField()
    team = TeamRefSerializer()
    kind = serializers.ChoiceField(choices=ProductKind.choices)
    status = ListingStatusField()
    title = serializers.CharField()
    lock_version = serializers.IntegerField()
    can_edit = serializers.BooleanField(help_text="Whether you may change this listing (owner or editor).")
    editable = serializers.BooleanField(help_text="Whether the listing's status allows edits (not in review).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sections = serializers.DictField(child=SectionStateSerializer(),
                                     help_text="Each section of this kind with its own lock version.")
    snapshot = serializers.JSONField(help_text="The listing as data, exactly as validation/SNAPSHOT.md describes.")
    latest_run = RunRefSerializer(allow_null=True)
    links = ListingLinksSerializer()


class SectionWriteSerializer(serializers.Serializer):
    lock_version = serializers.IntegerField(
        min_value=1, help_text="The lock_version you read; a stale one is refused with 409 and the current data.")


# ------------------------------------------------------------------------------------------------ validation
class ValidationStartSerializer(serializers.Serializer):
    policy = serializers.ChoiceField(choices=list(POLICIES.items()), required=False,
                                     help_text="strict (default) or aws-minimum.")


class FindingSerializer(serializers.ModelSerializer):
    check = serializers.CharField(source="check_name")
    field = serializers.CharField(source="field_name", help_text="The field path when the location is a field.")
    rule_url = serializers.SerializerMethodField()
    measured = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["code", "severity", "outcome", "message", "hint", "location", "field", "source", "check",
                  "rule_url", "measured"]

    def get_rule_url(self, finding) -> str:
        known = CATALOG.get(finding.code)
        return known.url if known else ""

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_measured(self, finding) -> dict:
        # A crashed check's traceback is for us (it is logged), not for the seller's pipeline.
        return {k: v for k, v in (finding.measured or {}).items() if k != "trace"}


class RunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    status = JobStatusField(read_only=True)
    listing = serializers.UUIDField(source="listing_id")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ValidationRun
        fields = ["id", "url", "listing", "status", "progress", "progress_note", "checks_done", "checks_total",
                  "verdict", "policy", "content_hash", "summary", "error", "attempts", "created_by", "created_at",
                  "started_at", "finished_at"]

    def get_url(self, run) -> str:
        return api_url("run-detail", self.context, run_id=run.id)

    def get_created_by(self, run) -> str | None:
        return _username(run.created_by)


class RunDetailSerializer(RunSerializer):
    is_current = serializers.SerializerMethodField(
        help_text="True when the run checked exactly the listing as it is now: only such a run lets it submit.")
    findings = FindingSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "is_current", "findings"]

    def get_is_current(self, run) -> bool:
        return run.content_hash == self.context.get("current_hash")


# -------------------------------------------------------------------------------------------------- versions
class BundleSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    version = serializers.UUIDField(source="version_id")
    version_number = serializers.IntegerField(source="version.number")
    listing = serializers.UUIDField(source="version.listing_id")
    status = JobStatusField()
    progress = serializers.IntegerField()
    progress_note = serializers.CharField()
    error = serializers.CharField()
    sha256 = serializers.CharField(help_text="Of the zip, once built.")
    size = serializers.IntegerField(allow_null=True, help_text="Bytes, once built.")
    filename = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField(help_text="Set once the bundle is built.")

    def get_url(self, bundle) -> str:
        return api_url("bundle-detail", self.context, bundle_id=bundle.id)

    def get_requested_by(self, bundle) -> str | None:
        return _username(bundle.requested_by)

    def get_download_url(self, bundle) -> str | None:
        if bundle.status != JobStatus.SUCCEEDED:
            return None
        return api_url("bundle-download", self.context, bundle_id=bundle.id)


class VersionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    listing = serializers.UUIDField(source="listing_id")
    listing_title = serializers.CharField(source="listing.title")
    team = TeamRefSerializer(source="listing.team")
    kind = serializers.CharField(source="listing.kind")
    status = VersionStatusField(read_only=True)
    validation_run = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = ListingVersion
        fields = ["id", "url", "listing", "listing_title", "team", "kind", "number", "status", "content_hash",
                  "validation_run", "created_by", "created_at", "decided_by", "decided_at", "decision_reason"]

    def get_url(self, version) -> str:
        return api_url("version-detail", self.context, version_id=version.id)

    def get_validation_run(self, version) -> str | None:
        if version.validation_run_id is None:
            return None
        return api_url("run-detail", self.context, run_id=version.validation_run_id)

    def get_created_by(self, version) -> str | None:
        return _username(version.created_by)

    def get_decided_by(self, version) -> str | None:
        return _username(version.decided_by)


class VersionLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    listing = serializers.URLField(allow_null=True, help_text="Null for reviewers outside the listing's team.")
    approve = serializers.URLField()
    request_changes = serializers.URLField()
    export = serializers.URLField()


class VersionDetailSerializer(VersionSerializer):
    snapshot = serializers.JSONField(help_text="The frozen listing (validation/SNAPSHOT.md); never changes.")
    bundles = BundleSerializer(many=True, source="bundle_list")
    links = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "snapshot", "bundles", "links"]

    @extend_schema_field(VersionLinksSerializer)
    def get_links(self, version) -> dict:
        return {
            "self": api_url("version-detail", self.context, version_id=version.id),
            "listing": (api_url("listing-detail", self.context, listing_id=version.listing_id)
                        if self.context.get("is_member") else None),
            "approve": api_url("version-approve", self.context, version_id=version.id),
            "request_changes": api_url("version-request-changes", self.context, version_id=version.id),
            "export": api_url("version-export", self.context, version_id=version.id),
        }


class RequestChangesSerializer(serializers.Serializer):
    # The web form's limit, read from the form: one place for the fact.
    reason = serializers.CharField(max_length=RequestChangesForm.base_fields["reason"].max_length,
                                   help_text="What the seller team should change; they are told.")


# ----------------------------------------------------------------------------------------------------- rules
class RuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    aws_rejects = serializers.BooleanField(help_text="False: best practice only (information under aws-minimum).")
    source = serializers.CharField()
    source_name = serializers.CharField()
    url = serializers.URLField()
    hint = serializers.CharField()
    limit = serializers.JSONField(allow_null=True, help_text="The AWS number (or list, pattern) behind the rule.")
    section = serializers.CharField(help_text="The section of AWS_RULES.md.")


# ------------------------------------------------------------------------------------------------- errors
class ErrorFieldSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A rule code such as listing.E002, or a DRF code such as required.")
    message = serializers.CharField()
    hint = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["invalid", "bad_request", "not_authenticated", "forbidden",
                                            "not_found", "method_not_allowed", "not_acceptable", "conflict",
                                            "unsupported_media_type", "throttled", "server_error",
                                            "service_unavailable"])
    message = serializers.CharField()
    fields = serializers.DictField(child=ErrorFieldSerializer(many=True), required=False,
                                   help_text="Problems keyed by field path, e.g. product.search_keywords[3].")
    current = serializers.JSONField(required=False, help_text="409 only: what is stored now.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
