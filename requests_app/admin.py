from django.contrib import admin

from .agreements import CANONICAL_KEYS, canonical_agreement_text, sha256_text
from .models import AgreementVersion, ClauseAcceptance, Dataset, LicenseRequest, RequestEvent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "reference_prefix", "turnaround_days", "licence_duration_days"]
    search_fields = ["name", "full_name", "owner"]
    filter_horizontal = ["reviewers"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    """An agreement version that a request refers to is a record: nobody may edit or delete it."""

    list_display = ["dataset", "label", "title", "short_sha256", "published_at"]
    list_filter = ["dataset"]
    list_select_related = ["dataset"]

    readonly_fields = ["sha256"]

    def _is_referenced(self, obj):
        return obj is not None and obj.requests.exists()

    def has_change_permission(self, request, obj=None):
        # Without change permission the admin shows the version read-only and refuses a POST.
        return not self._is_referenced(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._is_referenced(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # The fingerprint must always describe the words stored, whoever edited them.
        obj.sha256 = sha256_text(canonical_agreement_text({k: getattr(obj, k) for k in CANONICAL_KEYS}))
        super().save_model(request, obj, form, change)


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["at", "actor", "from_status", "to_status", "note", "ip"]
    ordering = ["at", "pk"]


class ClauseAcceptanceInline(ReadOnlyInline):
    model = ClauseAcceptance
    fields = ["clause_number", "agreement_version", "text_sha256", "accepted_at", "ip", "user_agent"]


@admin.register(LicenseRequest)
class LicenseRequestAdmin(admin.ModelAdmin):
    list_display = ["reference", "dataset", "applicant", "organisation", "status", "submitted_at"]
    list_filter = ["status", "dataset"]
    list_select_related = ["dataset", "applicant"]
    search_fields = ["reference", "representative_name", "organisation", "email", "applicant__email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference", "token", "status", "applicant", "dataset", "agreement_version", "created_at",
        "updated_at", "submitted_at", "decided_at", "approved_at",
    ]
    inlines = [ClauseAcceptanceInline, RequestEventInline]

    def has_add_permission(self, request):
        # Requests are made by applicants through the services, which give them a reference and a history.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    """The audit trail, for reading only."""

    list_display = ["at", "request", "actor", "from_status", "to_status", "note"]
    list_filter = ["to_status"]
    list_select_related = ["request", "actor"]
    search_fields = ["request__reference", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
