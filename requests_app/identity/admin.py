from django.contrib import admin

from ..admin import ReadOnlyAdmin
from .models import RepresentativeConfirmation


@admin.register(RepresentativeConfirmation)
class RepresentativeConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["request", "email", "sent_at", "reminded_at", "answer", "answered_at", "ip"]
    list_filter = ["answer"]
    search_fields = ["request__reference", "email"]
    list_select_related = ["request"]
