"""The download side's records in the admin: read-only, like the requests they are about."""

from django.contrib import admin

from .models import ApiKey, HuggingFaceCall, HuggingFacePendingRequest, WebhookDelivery


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnly):
    list_display = ["name", "prefix", "user", "can_decide", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["can_decide"]
    exclude = ["key_hash"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["created_at", "event_type", "webhook", "attempts", "response_status", "delivered_at", "failed_at"]
    list_filter = ["event_type"]
    list_select_related = ["webhook"]


@admin.register(HuggingFaceCall)
class HuggingFaceCallAdmin(ReadOnly):
    list_display = ["at", "request", "repo", "action", "username", "ok", "result"]
    list_filter = ["ok", "action"]
    list_select_related = ["request"]


@admin.register(HuggingFacePendingRequest)
class HuggingFacePendingRequestAdmin(ReadOnly):
    list_display = ["dataset", "username", "requested_at", "first_seen_at", "last_seen_at"]
    list_select_related = ["dataset"]
