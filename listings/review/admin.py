"""The review workflow in the Django admin: the SLA setting (editable), the rest read-only records."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin

from listings.models import Notification, Review, ReviewComment, ReviewSettings, SectionApproval, Waiver


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    """One row: the admin sets the review SLA here; empty falls back to ``REVIEW_SLA_HOURS``."""

    list_display = ["__str__", "sla_hours", "effective_sla_hours", "updated_at"]
    fields = ["sla_hours"]

    @admin.display(description="SLA in force (hours)")
    def effective_sla_hours(self, obj):
        return obj.sla_hours or settings.REVIEW_SLA_HOURS

    def has_add_permission(self, request):
        return not ReviewSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly(admin.ModelAdmin):
    """Written by services only (each write is audited); the admin looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(_ReadOnly):
    list_display = ["version", "assignee", "assigned_at", "baseline", "created_at"]
    list_select_related = ["version__listing", "assignee", "baseline"]


@admin.register(SectionApproval)
class SectionApprovalAdmin(_ReadOnly):
    list_display = ["version", "area", "approved_by_email", "approved_at", "carried_from"]
    list_filter = ["area"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(_ReadOnly):
    list_display = ["created_at", "listing", "anchor_kind", "anchor", "author_email", "resolved_at"]
    list_filter = ["anchor_kind", "by_reviewer"]
    search_fields = ["body", "anchor", "author_email", "listing__title"]


@admin.register(Waiver)
class WaiverAdmin(_ReadOnly):
    list_display = ["code", "location", "listing", "expires_at", "created_by_email", "revoked_at"]
    list_filter = ["code"]
    search_fields = ["code", "listing__title", "reason"]


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
