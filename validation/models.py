"""Validation runs and their findings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from listings.jobs import Job
from validation.findings import Outcome, Severity


class Verdict(models.TextChoices):
    PENDING = "", "Pending"
    PASSED = "passed", "Passed"  # no blocking failure (warnings may remain)
    FAILED = "failed", "Failed"  # at least one blocking failure


class ValidationRun(Job):
    """One run of the checks over one exact content of a listing (identified by ``content_hash``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="validation_runs")
    content_hash = models.CharField(max_length=64, db_index=True)
    policy = models.CharField(max_length=32)
    verdict = models.CharField(max_length=8, choices=Verdict.choices, default=Verdict.PENDING, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    checks_total = models.PositiveSmallIntegerField(default=0)
    checks_done = models.PositiveSmallIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)  # counts by outcome/severity, filled on finish
    # "checks" (metadata, files, notebook, data on the validation queue), then "container" (image analysis and
    # rehearsal on the containers queue) when the listing has an image.
    phase = models.CharField(max_length=16, default="checks")
    container_started_at = models.DateTimeField(null=True, blank=True)
    # The container phase's last lines as they happened ({"t": seconds since the phase started, "text": …}):
    # the image read, each rehearsal probe, each outbound attempt. Written by the service, at most twice a second.
    live_log = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["listing", "-created_at"])]

    def __str__(self) -> str:
        return f"run {self.id.hex[:8]} of {self.listing_id}"


class Finding(models.Model):
    run = models.ForeignKey(ValidationRun, on_delete=models.CASCADE, related_name="findings")
    check_name = models.CharField(max_length=64)
    code = models.CharField(max_length=32, db_index=True)
    severity = models.CharField(max_length=8, choices=[(s.value, s.value) for s in Severity])
    outcome = models.CharField(max_length=8, choices=[(o.value, o.value) for o in Outcome], db_index=True)
    message = models.TextField()
    hint = models.TextField(blank=True)
    location = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, blank=True)
    measured = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            # A re-delivered task must not duplicate findings: each run writes a position once.
            models.UniqueConstraint(fields=["run", "position"], name="finding_position_unique_per_run"),
        ]

    @property
    def blocking(self) -> bool:
        return self.outcome == Outcome.FAILED and self.severity == Severity.ERROR

    @property
    def field_name(self) -> str:
        return self.location.removeprefix("field:") if self.location.startswith("field:") else ""


class RunReport(models.Model):
    """What a check kept with its run besides findings: the image report, the SBOM, the rehearsal's logs and
    probes. Small JSON stays in ``data``; larger content (the SBOM always) is in the artifact storage under
    ``reports/sha256/…`` with its digest, read through ``validation.selectors``."""

    run = models.ForeignKey(ValidationRun, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=32)  # image | sbom | rehearsal
    label = models.CharField(max_length=300, blank=True)  # which image: the artifact's name or the reference
    check_name = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, default="application/json")
    data = models.JSONField(null=True, blank=True)
    storage_key = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "label"], name="run_report_unique_kind_label")]

    def __str__(self) -> str:
        return f"{self.kind} report of {self.run_id}"
