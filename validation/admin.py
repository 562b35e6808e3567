from django.contrib import admin

from validation.models import Finding, RunReport, ValidationRun


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    can_delete = False
    fields = ["code", "severity", "outcome", "message", "location"]
    readonly_fields = fields


class RunReportInline(admin.TabularInline):
    """What the container checks kept with the run (the SBOM's content is in the artifact storage)."""

    model = RunReport
    extra = 0
    can_delete = False
    fields = ["kind", "label", "check_name", "content_type", "size", "storage_key", "created_at"]
    readonly_fields = fields


@admin.register(ValidationRun)
class ValidationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "listing", "status", "verdict", "policy", "phase", "created_at", "finished_at"]
    list_filter = ["status", "verdict", "policy", "phase"]
    search_fields = ["listing__title", "id"]
    inlines = [FindingInline, RunReportInline]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["code", "severity", "outcome", "run", "location"]
    list_filter = ["outcome", "severity", "code"]
    search_fields = ["code", "message"]
