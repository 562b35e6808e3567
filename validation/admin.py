from django.contrib import admin

from validation.models import Finding, ValidationRun


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    can_delete = False
    fields = ["code", "severity", "outcome", "message", "location"]
    readonly_fields = fields


@admin.register(ValidationRun)
class ValidationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "listing", "status", "verdict", "policy", "created_at", "finished_at"]
    list_filter = ["status", "verdict", "policy"]
    search_fields = ["listing__title", "id"]
    inlines = [FindingInline]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["code", "severity", "outcome", "run", "location"]
    list_filter = ["outcome", "severity", "code"]
    search_fields = ["code", "message"]
