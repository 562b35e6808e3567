"""The seller's domain: teams, listings, frozen versions, artifacts, bundles and the audit trail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from listings.jobs import Job


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


EDITING_ROLES = (Role.OWNER, Role.EDITOR)


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class ProductKind(models.TextChoices):
    MODEL_PACKAGE = "model_package", "Model package"
    ALGORITHM = "algorithm", "Algorithm"


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


class Listing(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="listings")
    kind = models.CharField(max_length=16, choices=ProductKind.choices)
    status = models.CharField(max_length=24, choices=ListingStatus.choices, default=ListingStatus.DRAFT,
                              db_index=True)
    # Bumped by every content save; a form posts the value it was rendered with, and a save whose value is
    # stale is refused instead of overwriting a teammate's work.
    lock_version = models.PositiveIntegerField(default=1)

    # A copy of the product section's title for lists and links; ``section_save`` keeps it in step.
    title = models.CharField(max_length=255)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-updated_at"])]

    def __str__(self) -> str:
        return self.title


class ListingSection(models.Model):
    """One section of a listing (listings/sections.py) as the JSON the checks read, saved on its own.

    Sections are documents rather than dozens of columns and child tables: the snapshot, the REST API, the
    checks and the version diff all speak this one shape, and each section carries its own lock version so
    two teammates editing different sections never collide.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=32)
    data = models.JSONField(default=dict)  # {snapshot key: value} for the keys the section owns
    lock_version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "name"], name="one_row_per_section")]

    def __str__(self) -> str:
        return f"{self.listing} / {self.name}"


class SectionDraft(models.Model):
    """What one person typed into one section's form and has not saved yet, autosaved as they type
    (listings/drafts.py).

    Kept on the server, so it survives a closed tab and follows the person to another device. ``data`` is the
    form exactly as posted — never validated, never applied to the listing — as ``[name, value]`` pairs, since a
    name repeats for checked boxes. ``base_lock_version`` is the section's lock version the form was drawn with:
    saving the draft after a teammate saved meets the usual conflict display, never overwrites.
    """

    section = models.ForeignKey(ListingSection, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=list)
    base_lock_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["section", "user"], name="one_draft_per_section_and_user")]

    def __str__(self) -> str:
        return f"draft of {self.section} by {self.user_id}"


class ArtifactKind(models.TextChoices):
    IMAGE = "image", "Container image"
    MODEL_DATA = "model_data", "Model data"
    NOTEBOOK = "notebook", "Sample notebook"
    SAMPLE_DATA = "sample_data", "Sample data"
    LOGO = "logo", "Logo"
    DOCUMENTATION = "documentation", "Documentation"


class Artifact(models.Model):
    """An uploaded file attached to a listing. Bytes are stored once under their sha256 (see storage.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField(max_length=16, choices=ArtifactKind.choices)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    @property
    def storage_key(self) -> str:
        from listings.storage import key_for_digest

        return key_for_digest(self.sha256)

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class VersionStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ListingVersion(models.Model):
    """The frozen copy taken on submit — the "escrowed copy". Never changed after it is written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=24, choices=VersionStatus.choices, default=VersionStatus.SUBMITTED,
                              db_index=True)
    validation_run = models.ForeignKey("validation.ValidationRun", on_delete=models.PROTECT, null=True,
                                       related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "number"], name="unique_version_number"),
            # At most one version of a listing waits for review at a time (Wagtail's in-progress rule).
            models.UniqueConstraint(fields=["listing"], condition=models.Q(status="submitted"),
                                    name="one_open_submission_per_listing"),
        ]
        indexes = [
            # The review queue: waiting versions oldest first, 50 a page.
            models.Index(fields=["status", "created_at", "id"], name="version_queue_idx"),
            # The queue's "decided" view and the dashboard: decisions of the last 30 days.
            models.Index(fields=["decided_at"], name="version_decided_idx"),
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.listing} v{self.number}"


class ListingEvent(models.Model):
    """Append-only audit trail (Saleor ``OrderEvent``): who did what, when, with what data.

    The actor is kept as an e-mail snapshot too, so the trail survives the deletion of the user.
    """

    listing = models.ForeignKey(Listing, on_delete=models.SET_NULL, null=True, related_name="events")
    type = models.CharField(max_length=64, db_index=True)  # dotted: listing.submitted, review.approved …
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # A listing's timeline (its latest events, newest first) on the listing and review pages.
        indexes = [models.Index(fields=["listing", "-created_at", "-id"], name="event_timeline_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    def __str__(self) -> str:
        return f"{self.type} by {self.actor_email or 'system'}"


class SubmissionBundle(Job):
    """The exported zip of one approved version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(ListingVersion, on_delete=models.PROTECT, related_name="bundles")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    storage_key = models.CharField(max_length=255, blank=True)
    # What the seller chose for this export, e.g. {"reference_large_files": true, "s3_destination": "s3://…"};
    # part of what makes two exports of one version byte-identical or not.
    options = models.JSONField(default=dict, blank=True)
    manifest = models.JSONField(default=dict, blank=True)  # the bundle's manifest.json, for pages and the API

    class Meta:
        ordering = ["-created_at"]

    @property
    def filename(self) -> str:
        listing = self.version.listing
        return f"marketplace-bundle-{listing.id.hex[:8]}-v{self.version.number}.zip"


class UploadSession(models.Model):
    """A resumable upload in progress (listings/artifacts/): the bytes so far sit in a scratch file named
    after the id, ``received`` of ``size`` of them. Completing it creates the ``Artifact``; abandoned sessions
    and their scratch files are swept after a day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="upload_sessions")
    kind = models.CharField(max_length=16, choices=ArtifactKind.choices)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    expected_sha256 = models.CharField(max_length=64, blank=True)  # sent by the browser for small files
    completing_at = models.DateTimeField(null=True, blank=True)  # claimed by the request that finishes it
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.original_name}: {self.received} of {self.size} bytes"


# --- Review workflow (listings/review/) -----------------------------------------------------------------------
# DESIGN.md "Data model": Review, ReviewComment(anchor), Waiver(finding code, reason, by, expires); plus the
# per-section sign-off that lets a re-review skip what did not change, the admin-set SLA, and in-app notices.


class ReviewSettings(models.Model):
    """What the admin sets for the review desk, in the Django admin: one row (``pk=1``).

    Empty fields fall back to the settings module (``REVIEW_SLA_HOURS``), so a fresh install works without it.
    """

    sla_hours = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="A submitted version should be decided within this many hours; the queue shows each version's "
                  "due time from it. Leave empty to use the REVIEW_SLA_HOURS setting.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "review settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="review_settings_single_row")]

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return "Review settings"


class Review(models.Model):
    """The reviewer's side of one submitted version: who has it, and which version its sign-offs came from."""

    version = models.OneToOneField(ListingVersion, on_delete=models.CASCADE, primary_key=True, related_name="review")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The version the re-review compares with: the one before this (whatever its outcome); None for version 1.
    baseline = models.ForeignKey(ListingVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["assignee"])]

    def __str__(self) -> str:
        return f"review of {self.version}"


class SectionApproval(models.Model):
    """A reviewer's sign-off on one area (a section, or the files) of one version.

    Carried to the next version when that area's content is byte-for-byte the same (``content_hash``), so a
    re-review looks only at what changed. ``carried_from`` names the version where a person actually looked.
    """

    version = models.ForeignKey(ListingVersion, on_delete=models.CASCADE, related_name="section_approvals")
    area = models.CharField(max_length=32)  # a section name (listings/sections.py) or "files"
    content_hash = models.CharField(max_length=64)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    approved_by_email = models.CharField(max_length=254, blank=True)
    approved_at = models.DateTimeField(default=timezone.now)
    carried_from = models.ForeignKey(ListingVersion, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "area"], name="one_approval_per_area")]

    def __str__(self) -> str:
        return f"{self.version} / {self.area}"


class CommentAnchor(models.TextChoices):
    GENERAL = "general", "The whole version"
    FIELD = "field", "A field"
    FINDING = "finding", "A validation finding"
    CELL = "cell", "A notebook cell"
    ARTIFACT = "artifact", "A file"


class ReviewComment(models.Model):
    """A comment, anchored to what it is about; a comment without ``parent`` starts a thread.

    Threads belong to the listing (they outlive the version they were written on, so a seller answers in the
    same thread after resubmitting); resolution lives on the thread's first comment. Author kept as an e-mail
    snapshot too, so a thread survives the deletion of its writer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="review_comments")
    version = models.ForeignKey(ListingVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    anchor_kind = models.CharField(max_length=16, choices=CommentAnchor.choices, default=CommentAnchor.GENERAL)
    # field: "product.title"; finding: "listing.W007@field:product.short_description";
    # cell: "<notebook name>#<cell index>"; artifact: "<kind>/<name>"; general: "".
    anchor = models.CharField(max_length=500, blank=True)
    area = models.CharField(max_length=32, blank=True)  # the section (or "files") the anchor lies in
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    author_email = models.CharField(max_length=254, blank=True)
    by_reviewer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolved_by_email = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["listing", "parent", "created_at"])]

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    def __str__(self) -> str:
        return f"{self.author_email or 'someone'} on {self.anchor or self.anchor_kind}"


class Waiver(models.Model):
    """A reviewer's decision that one failed **warning** may stand, with a reason, until it expires.

    Errors (what AWS rejects) can never be waived: the service refuses, the database refuses
    (``waiver_only_for_warnings``), and the submission gate never consults waivers for errors.
    A waiver covers its finding (code + location) on every version of the listing until ``expires_at``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="waivers")
    version = models.ForeignKey(ListingVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    code = models.CharField(max_length=32)
    location = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=8, default="warning")
    reason = models.TextField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_by_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    revoked_by_email = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(severity="warning"), name="waiver_only_for_warnings"),
            models.UniqueConstraint(fields=["listing", "code", "location"], condition=models.Q(revoked_at__isnull=True),
                                    name="one_standing_waiver_per_finding"),
        ]

    def is_active(self, at=None) -> bool:
        return self.revoked_at is None and self.expires_at > (at or timezone.now())

    def __str__(self) -> str:
        return f"waiver of {self.code} at {self.location or '—'}"


class Notification(models.Model):
    """One line in a user's in-app notification list (the bell in the top bar); e-mail goes out beside it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=48)  # dotted, like the event it tells of: review.approved …
    listing = models.ForeignKey(Listing, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
