"""The download side's records in the admin: read-only, like the requests they are about."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from ..admin import BoundedChangelist
from . import webhooks
from .models import ApiKey, HuggingFaceCall, HuggingFacePendingRequest, WebhookDelivery


class ReadOnly(BoundedChangelist, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnly):
    list_display = ["name", "prefix", "user", "can_decide", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["can_decide"]
    list_select_related = ["user"]
    exclude = ["key_hash"]


class EventTypeFilter(admin.SimpleListFilter):
    """The event types the portal sends, a fixed list (not a DISTINCT over every delivery)."""

    title = gettext_lazy("event type")
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        kinds = [*webhooks.EVENT_TYPES.values(), webhooks.REACCEPTANCE_NEEDED, webhooks.REACCEPTED, webhooks.TEST_EVENT]
        return [(kind, kind) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = [
        "created_at",
        "event_type",
        "webhook",
        "attempts",
        "response_status",
        "last_error_display",
        "delivered_at",
        "failed_at",
    ]
    list_filter = [EventTypeFilter]
    list_select_related = ["webhook"]

    @admin.display(description=gettext_lazy("last error"))
    def last_error_display(self, obj):
        return obj.last_error_display


@admin.register(HuggingFaceCall)
class HuggingFaceCallAdmin(ReadOnly):
    list_display = ["at", "request", "repo", "action", "username", "ok", "result"]
    list_filter = ["ok"]
    list_select_related = ["request"]


@admin.register(HuggingFacePendingRequest)
class HuggingFacePendingRequestAdmin(ReadOnly):
    list_display = ["dataset", "username", "requested_at", "first_seen_at", "last_seen_at"]
    list_select_related = ["dataset"]
