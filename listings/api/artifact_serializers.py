"""What the artifact endpoints read and write (listings/api/views/artifacts.py).

Input serializers check the envelope only (types, required keys); what a file must be — its kind, size, bytes,
sample tags — is the artifact services' business (listings/artifacts/services.py), so the API refuses exactly
what the web form refuses, with the same messages.
"""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.api.fields import JobStatusField, _StatusField
from listings.api.serializers import api_url
from listings.artifacts import limits
from listings.models import ArtifactKind

_SHA256_HELP = "Optional: the file's sha256 (64 hex digits, `sha256:` prefix allowed). A mismatch refuses the file."
_TAGS_HELP = ("Sample data only: `{\"mode\": \"realtime\"|\"batch\", \"direction\": \"input\"|\"output\", "
              "\"content_type\": \"text/csv\"}`. Other kinds ignore tags.")


class ArtifactKindField(_StatusField):
    """Published as its own named enum (``ArtifactKind``), like the status fields."""

    choices_class = ArtifactKind
    description = "What the file is: image, model_data, notebook, sample_data, logo or documentation."


@extend_schema_field(OpenApiTypes.BINARY)
class BinaryFileField(serializers.FileField):
    """A file part of a multipart body: published as binary, not as a URL (the request and the response
    share one component here)."""


def _tags(value) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise serializers.ValidationError("Send the tags as a JSON object, e.g. {\"mode\": \"realtime\", "
                                          "\"direction\": \"input\", \"content_type\": \"text/csv\"}.")
    return value


# ------------------------------------------------------------------------------------------------- artifacts
class ArtifactSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.SerializerMethodField()
    listing = serializers.UUIDField(source="listing_id", read_only=True)
    kind = ArtifactKindField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    sha256 = serializers.CharField(read_only=True, help_text="Of the stored bytes; the same bytes are stored once.")
    content_type = serializers.CharField(read_only=True)
    tags = serializers.JSONField(read_only=True, help_text="Sample data: mode, direction and content_type.")
    uploaded_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_url(self, artifact) -> str:
        return api_url("artifact-detail", self.context, artifact_id=artifact.id)

    def get_uploaded_by(self, artifact) -> str | None:
        return artifact.uploaded_by.get_username() if artifact.uploaded_by_id else None

    def get_download_url(self, artifact) -> str:
        return api_url("artifact-download", self.context, artifact_id=artifact.id)


class StartedRunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    status = JobStatusField()
    verdict = serializers.CharField(help_text="passed, failed, or empty while the run has not finished.")
    is_current = serializers.BooleanField(help_text="True when the run checks exactly the listing as it is now.")


class ArtifactCreatedSerializer(serializers.Serializer):
    artifact = ArtifactSerializer()
    validation_run = StartedRunSerializer(
        allow_null=True, help_text="The run the change started (poll its url), or null if none could be queued.")


class ArtifactUploadSerializer(serializers.Serializer):
    """A single-shot ``multipart/form-data`` upload. Give sample tags as ``tags`` (JSON) or as the three fields."""

    file = BinaryFileField(help_text="The file (one per request).")
    kind = ArtifactKindField()
    tags = serializers.JSONField(required=False, help_text=_TAGS_HELP)
    mode = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                 help_text="Sample data: realtime or batch (instead of tags).")
    direction = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                      help_text="Sample data: input or output (instead of tags).")
    content_type = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                         help_text="Sample data: the content type a buyer sends it with.")
    sha256 = serializers.CharField(required=False, allow_blank=True, max_length=80, help_text=_SHA256_HELP)

    def validate_tags(self, value):
        return _tags(value)

    def tags_given(self) -> dict:
        data = self.validated_data
        tags = dict(data.get("tags") or {})
        for key in ("mode", "direction", "content_type"):
            if data.get(key):
                tags.setdefault(key, data[key])
        return tags


# --------------------------------------------------------------------------------------------------- uploads
class UploadStartSerializer(serializers.Serializer):
    kind = ArtifactKindField()
    name = serializers.CharField(max_length=1000, help_text="The file's name (shown to people; never a path).")
    size = serializers.IntegerField(min_value=0, help_text="The whole file's size in bytes.")
    content_type = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                         help_text="Sample data: the content type a buyer sends it with.")
    tags = serializers.JSONField(required=False, help_text=_TAGS_HELP)
    sha256 = serializers.CharField(required=False, allow_blank=True, default="", max_length=80,
                                   help_text=_SHA256_HELP)
    direct = serializers.BooleanField(
        required=False, default=False,
        help_text="S3 storage only: answer with a presigned PUT URL for the whole file (at most 5 GB) instead of "
                  "sending chunks through the API.")

    def validate_tags(self, value):
        return _tags(value)


class DirectUploadSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="PUT the whole file here (the body is the file's bytes), then POST to "
                                         "the session's complete_url.")
    method = serializers.CharField()
    expires_at = serializers.DateTimeField()


class UploadSessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    listing = serializers.UUIDField(source="listing_id")
    kind = ArtifactKindField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField()
    received = serializers.IntegerField(help_text="Bytes stored so far: the next chunk starts here.")
    complete = serializers.SerializerMethodField(help_text="Every byte arrived: POST to complete_url.")
    content_type = serializers.CharField()
    tags = serializers.JSONField()
    upload_url = serializers.SerializerMethodField(
        help_text="PUT chunks here with `Content-Range: bytes <first>-<last>/<size>` and the raw bytes.")
    complete_url = serializers.SerializerMethodField()
    chunk_bytes = serializers.SerializerMethodField(help_text="A good chunk size.")
    max_chunk_bytes = serializers.SerializerMethodField(help_text="The most one chunk may carry.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    expires_at = serializers.SerializerMethodField(help_text="Forgotten, with its bytes, if untouched until then.")
    direct_upload = serializers.SerializerMethodField(
        help_text="Only in the answer that started a direct upload: where to PUT the whole file.")

    def get_url(self, session) -> str:
        return api_url("upload-detail", self.context, upload_id=session.id)

    def get_complete(self, session) -> bool:
        return session.received == session.size

    def get_upload_url(self, session) -> str:
        return api_url("upload-detail", self.context, upload_id=session.id)

    def get_complete_url(self, session) -> str:
        return api_url("upload-complete", self.context, upload_id=session.id)

    def get_chunk_bytes(self, session) -> int:
        return int(limits.guard("chunk_bytes"))

    def get_max_chunk_bytes(self, session) -> int:
        return int(limits.guard("max_chunk_bytes"))

    @extend_schema_field(serializers.DateTimeField())
    def get_expires_at(self, session):
        expires = session.updated_at + timedelta(seconds=int(limits.guard("session_ttl_seconds")))
        return serializers.DateTimeField().to_representation(expires)

    @extend_schema_field(DirectUploadSerializer(allow_null=True))
    def get_direct_upload(self, session) -> dict | None:
        direct = self.context.get("direct_upload")
        return DirectUploadSerializer(direct).data if direct else None
