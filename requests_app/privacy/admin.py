from django.contrib import admin

from ..admin import ReadOnlyAdmin
from .models import SignedCopyView


@admin.register(SignedCopyView)
class SignedCopyViewAdmin(ReadOnlyAdmin):
    list_display = ["at", "request", "viewer", "ip", "inline"]
    list_filter = ["inline"]
    search_fields = ["request__reference", "viewer__email"]
    list_select_related = ["request", "viewer"]
