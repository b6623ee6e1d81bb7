from django.contrib import admin, messages

from . import services
from .models import (
    AgreementVersion,
    ClauseAcceptance,
    Dataset,
    DeliveryView,
    IssuedAgreement,
    LicenseRequest,
    RequestEvent,
    ReviewerRemark,
    SignedCopy,
    SignedCopyFile,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records: nobody adds, edits or deletes them, not even a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
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

    def _is_referenced(self, obj):
        return obj is not None and obj.requests.exists()

    def get_readonly_fields(self, request, obj=None):
        if self._is_referenced(obj):
            return [f.name for f in self.model._meta.fields]
        return ["sha256"]

    def has_delete_permission(self, request, obj=None):
        return not self._is_referenced(obj) and super().has_delete_permission(request, obj)


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
    actions = ["approve_selected"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve the selected requests under review (default licence duration)")
    def approve_selected(self, request, queryset):
        # Through the service, one request at a time: each gets its event and its email, or a message why not.
        for license_request in queryset.select_related("dataset", "applicant"):
            try:
                services.request_approve(
                    request=license_request, reviewer=request.user,
                    expires_at=services.default_expiry(license_request.dataset),
                    note="Approved from the admin.", ip=request.META.get("REMOTE_ADDR"),
                )
            except services.TransitionNotAllowed as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(request, f"{license_request.reference} approved.", messages.SUCCESS)


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin):
    """The audit trail, for reading only."""

    list_display = ["at", "request", "actor", "from_status", "to_status", "note"]
    list_filter = ["to_status"]
    list_select_related = ["request", "actor"]
    search_fields = ["request__reference", "note"]


# --- Issued agreements and signed copies (issue 4): records, read only ----------------------------


@admin.register(IssuedAgreement)
class IssuedAgreementAdmin(ReadOnlyAdmin):
    list_display = ["request", "issue", "agreement_version", "pages", "length", "issued_at"]
    list_select_related = ["request", "agreement_version__dataset"]
    search_fields = ["request__reference", "sha256"]
    exclude = ["pdf"]


class SignedCopyFileInline(ReadOnlyInline):
    model = SignedCopyFile
    fields = ["position", "original_name", "content_type", "size", "sha256"]


@admin.register(SignedCopy)
class SignedCopyAdmin(ReadOnlyAdmin):
    list_display = ["request", "kind", "uploaded_at", "uploaded_by", "summary"]
    list_filter = ["kind"]
    list_select_related = ["request", "uploaded_by"]
    search_fields = ["request__reference"]
    inlines = [SignedCopyFileInline]


# --- Review: remarks, and who was shown the delivery instructions --------------------------------


@admin.register(ReviewerRemark)
class ReviewerRemarkAdmin(admin.ModelAdmin):
    list_display = ["at", "request", "author", "text"]
    list_select_related = ["request", "author"]
    search_fields = ["request__reference", "text"]


@admin.register(DeliveryView)
class DeliveryViewAdmin(ReadOnlyAdmin):
    """Who was shown the delivery instructions, and when."""

    list_display = ["at", "request", "user", "ip"]
    list_select_related = ["request", "user"]
    search_fields = ["request__reference", "user__email"]
