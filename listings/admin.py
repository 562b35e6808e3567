from django.contrib import admin

from listings.models import Artifact, Listing, ListingEvent, ListingVersion, Membership, SubmissionBundle, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "kind", "status", "updated_at"]
    list_filter = ["status", "kind", "team"]
    search_fields = ["title", "id"]
    list_select_related = ["team"]
    readonly_fields = ["status", "lock_version"]  # status moves only through services (audited)


@admin.register(ListingVersion)
class ListingVersionAdmin(admin.ModelAdmin):
    list_display = ["listing", "number", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["listing__title"]
    list_select_related = ["listing"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]  # frozen: the escrowed copy never changes


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "listing", "size", "sha256"]
    list_filter = ["kind"]
    search_fields = ["original_name", "sha256"]


@admin.register(SubmissionBundle)
class SubmissionBundleAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "status", "size", "created_at"]
    list_filter = ["status"]


@admin.register(ListingEvent)
class ListingEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "type", "actor_email", "listing"]
    list_filter = ["type"]
    search_fields = ["type", "actor_email", "listing__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from listings.review import admin as _review_admin  # noqa: E402,F401  (registers the review workflow's models)
