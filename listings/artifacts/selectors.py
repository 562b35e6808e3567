"""Reads scoped to the user (STYLE.md 3): the listing is found through the user's teams first, so another
team's artifact or upload is a 404 exactly like a missing one."""

from __future__ import annotations

from django.http import Http404

from listings.artifacts import limits
from listings.models import Artifact, ArtifactKind, Listing, ListingSection, UploadSession

# What the file picker offers first for each kind (a hint only: the server reads the bytes).
ACCEPT = {
    ArtifactKind.IMAGE: ".tar,application/x-tar",
    ArtifactKind.MODEL_DATA: ".gz,.tgz,application/gzip",
    ArtifactKind.NOTEBOOK: ".ipynb",
    ArtifactKind.SAMPLE_DATA: "",
    ArtifactKind.LOGO: ".png,.jpg,.jpeg,.gif,image/png,image/jpeg,image/gif",
    ArtifactKind.DOCUMENTATION: ".md,.markdown,.txt,.pdf,.html,.htm",
}

HELP = {
    ArtifactKind.IMAGE: "The tar written by docker save (or an OCI layout archive). Or give an image URI in the "
                        "AWS settings.",
    ArtifactKind.MODEL_DATA: "model.tar.gz, unpacked into /opt/ml/model. Or give an s3:// URI in the AWS settings.",
    ArtifactKind.NOTEBOOK: "The .ipynb buyers run end to end.",
    ArtifactKind.SAMPLE_DATA: "Inputs and the outputs your model returns for them, for real-time and batch.",
    ArtifactKind.LOGO: "{formats}, {low}–{high} pixels wide and high, transparent or white background.",
    ArtifactKind.DOCUMENTATION: "Markdown, plain text, HTML or PDF.",
}

# Offered in the sample-data form; any other valid content type may be typed.
COMMON_CONTENT_TYPES = (
    "text/csv", "application/json", "application/jsonlines", "text/plain", "image/jpeg", "image/png",
    "application/x-image", "audio/wav", "application/x-recordio-protobuf", "application/x-npy",
    "application/octet-stream",
)


def _help(kind: str) -> str:
    if kind != ArtifactKind.LOGO:
        return HELP[kind]
    formats = limits.logo_formats()
    low, high = limits.rule_limit("logo.E004", (120, 640))
    return HELP[kind].format(formats=", ".join(formats[:-1]) + " or " + formats[-1], low=low, high=high)


def get_artifact(listing: Listing, artifact_id) -> Artifact:
    try:
        return listing.artifacts.select_related("listing").get(pk=artifact_id)
    except (Artifact.DoesNotExist, ValueError):
        raise Http404("No such artifact.")


def get_upload(listing: Listing, user, upload_id) -> UploadSession:
    """A resumable upload belongs to the person who started it."""
    try:
        return UploadSession.objects.select_related("listing").get(pk=upload_id, listing=listing, created_by=user)
    except (UploadSession.DoesNotExist, ValueError):
        raise Http404("No such upload.")


def artifact_groups(listing: Listing) -> list[dict]:
    """Every kind, in the order a seller works through them, with the files attached."""
    artifacts = list(listing.artifacts.select_related("uploaded_by").order_by("created_at", "original_name"))
    return [
        {"kind": value, "label": label, "items": [a for a in artifacts if a.kind == value],
         "max_bytes": limits.max_bytes(value), "accept": ACCEPT[value], "help": _help(value)}
        for value, label in ArtifactKind.choices
    ]


def references(listing: Listing) -> dict:
    """Image and model data given by reference in the AWS settings section (another form edits them)."""
    data = ListingSection.objects.filter(listing=listing, name="aws").values_list("data", flat=True).first() or {}
    aws = data.get("aws") if isinstance(data.get("aws"), dict) else {}
    return {"image_uri": str(aws.get("image_uri") or ""), "model_data_uri": str(aws.get("model_data_uri") or "")}
