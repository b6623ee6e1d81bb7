import re

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clock
from .i18n import dates
from .models import (
    HF_REPO_ID,
    AgreementVersion,
    ClauseAcceptance,
    Dataset,
    DeliveryView,
    IssuedAgreement,
    LicenseRequest,
    Notification,
    Publication,
    RequestEvent,
    ReviewerGrant,
    ReviewerPreference,
    ReviewerRemark,
    SignedCopy,
    SignedCopyFile,
)
from .notifications import services as notifications
from .ops import uncertain
from .ops.client_ip import client_ip
from .review.selectors import is_whole_reference, licence_default_expiry
from .review.services import dataset_set_reviewers, request_approve
from .reviewing.renewals import licence_extend
from .workflow import DecisionInvalid, TransitionNotAllowed


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BoundedPaginator(Paginator):
    """Counts at most BOUND rows (a count of every row that matches a filter reads them all): past
    that, the changelist says "10000+" and its last page is the BOUND-th row; a filter or a search
    narrows it."""

    BOUND = 10_000
    bounded = False  # True once counted, when more rows match than BOUND

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: self.BOUND + 1].count()
        self.bounded = counted > self.BOUND
        return min(counted, self.BOUND)


class BoundedChangelist:
    """A changelist over a table that grows with use: as fast at 100,000 rows as at 1,000 (issue 13).

    Newest first by the primary key (an index; a sort on another column would sort every row, so no
    column header sorts), no count of the whole table beside the filtered one, no date hierarchy (its
    years are a DISTINCT over every row), a count that stops at BoundedPaginator.BOUND, and filters whose choices are fixed lists or other small
    tables, never a DISTINCT over this one. Each admin selects the related rows its columns show.
    """

    ordering = ["-pk"]
    sortable_by: tuple[str, ...] = ()
    show_full_result_count = False
    paginator = BoundedPaginator


class ReadOnlyAdmin(BoundedChangelist, admin.ModelAdmin):
    """Records: nobody adds, edits or deletes them, not even a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DatasetForm(forms.ModelForm):
    def clean_hf_repo(self) -> str:
        # The Hub calls name the repository in their path: a malformed id would fail every one of them.
        repo = self.cleaned_data["hf_repo"]
        if repo and not re.fullmatch(HF_REPO_ID, repo, re.ASCII):
            raise forms.ValidationError(_('A Hugging Face repository id is "owner/name", for example "nwpu/LAGPeR".'))
        return repo


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    form = DatasetForm
    list_display = ["name", "owner", "reference_prefix", "turnaround_days", "licence_duration_days"]
    search_fields = ["name", "full_name", "owner"]
    filter_horizontal = ["reviewers"]
    prepopulated_fields = {"slug": ["name"]}
    change_list_template = "admin/requests_app/dataset_change_list.html"

    def get_urls(self):
        from django.urls import path

        from .agreement_format.admin_views import publish_view

        view = self.admin_site.admin_view(lambda request: publish_view(self, request))
        return [path("publish/", view, name="requests_app_dataset_publish"), *super().get_urls()]

    def save_related(self, request, form, formsets, change):
        # Who may decide is not an unrecorded edit: the grants go through the service that records them.
        reviewers = form.cleaned_data.pop("reviewers", None)
        super().save_related(request, form, formsets, change)
        if reviewers is not None:
            dataset_set_reviewers(dataset=form.instance, reviewers=set(reviewers), by=request.user)


@admin.register(ReviewerGrant)
class ReviewerGrantAdmin(ReadOnlyAdmin):
    """Who was made (or stopped being) a reviewer of which dataset, by whom, and when."""

    list_display = ["at", "dataset", "reviewer", "granted", "by"]
    list_filter = ["dataset", "granted"]
    list_select_related = ["dataset", "reviewer", "by"]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ReadOnlyAdmin):
    """A published wording is a record: a changed text is a new version, published by load_dataset.

    Which version is current follows published_at, so an edit here would silently change what new
    applicants sign; the admin shows versions and never changes them.
    """

    list_display = ["dataset", "label", "title", "short_sha256", "published_at"]
    list_filter = ["dataset"]
    list_select_related = ["dataset"]

    @admin.display(description=gettext_lazy("SHA-256"))
    def short_sha256(self, obj):
        return obj.short_sha256


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["at", "actor", "from_status", "to_status", "note", "ip"]
    ordering = ["at", "pk"]


class ClauseAcceptanceInline(ReadOnlyInline):
    model = ClauseAcceptance
    fields = ["clause_number", "agreement_version", "text_sha256", "accepted_at", "ip", "user_agent"]


@admin.register(LicenseRequest)
class LicenseRequestAdmin(ReadOnlyAdmin):
    """Shown, never edited: requests are made by applicants through the services, and what the
    applicant typed is what the representative signed, so a correction goes back to the applicant
    (return for correction), never an unrecorded edit here. Approving goes through the service."""

    list_display = ["reference", "dataset", "applicant", "organisation", "status", "submitted_at"]
    list_filter = ["status", "dataset"]
    list_select_related = ["dataset", "applicant"]
    search_fields = ["reference", "representative_name", "organisation", "email", "applicant__email"]
    inlines = [ClauseAcceptanceInline, RequestEventInline]
    actions = ["approve_selected", "extend_selected"]

    def get_search_results(self, request, queryset, search_term):
        # A reference pasted from an email: one lookup in the unique index, not a scan of every field.
        if is_whole_reference(search=search_term.strip()):
            return queryset.filter(reference=search_term.strip().upper()), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=gettext_lazy("Renew or extend the selected licences by one more licence duration"))
    def extend_selected(self, request, queryset):
        # Each through the service: its own event, the licensee's email, and a message if refused.
        for licence in queryset.select_related("dataset", "applicant"):
            try:
                licence_extend(request=licence, reviewer=request.user, ip=client_ip(request))
            except TransitionNotAllowed as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("%(reference)s extended until %(date)s.")
                    % {"reference": licence.reference, "date": dates.day(licence.expires_at)},
                    messages.SUCCESS,
                )

    @admin.action(description=gettext_lazy("Approve the selected requests under review (default licence duration)"))
    def approve_selected(self, request, queryset):
        # Through the service, one request at a time: each gets its event and its email, or a message why not.
        for license_request in queryset.select_related("dataset", "applicant"):
            try:
                request_approve(
                    request=license_request,
                    reviewer=request.user,
                    expires_at=licence_default_expiry(dataset=license_request.dataset),
                    note="Approved from the admin.",
                    ip=client_ip(request),
                )
            except (TransitionNotAllowed, DecisionInvalid) as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(
                    request, _("%(reference)s approved.") % {"reference": license_request.reference}, messages.SUCCESS
                )


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
    exclude = ["file"]


class SignedCopyFileInline(ReadOnlyInline):
    model = SignedCopyFile
    fields = ["position", "original_name", "content_type", "size", "sha256"]


@admin.register(SignedCopy)
class SignedCopyAdmin(ReadOnlyAdmin):
    list_display = ["request", "kind", "countersigned", "uploaded_at", "uploaded_by", "summary"]
    list_filter = ["kind", "countersigned"]
    list_select_related = ["request", "uploaded_by"]
    search_fields = ["request__reference"]
    inlines = [SignedCopyFileInline]


# --- Reminders, notifications and publications ----------------------------------------------------


class DeliveryFilter(admin.SimpleListFilter):
    title = gettext_lazy("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("Failed (retries gave up)")),
            ("sending", _("Being sent")),
            ("uncertain", _("Uncertain (the worker stopped while sending: maybe sent)")),
            ("pending", _("Waiting to be sent")),
            ("sent", _("Sent")),
        ]

    def queryset(self, request, queryset):
        return {
            "failed": queryset.filter(failed_at__isnull=False),
            "sending": uncertain.being_sent(queryset, now=clock.now()),
            "uncertain": uncertain.uncertain(queryset, now=clock.now()),
            "pending": queryset.filter(claimed_at__isnull=True, sent_at__isnull=True, failed_at__isnull=True),
            "sent": queryset.filter(sent_at__isnull=False),
        }.get(self.value(), queryset)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What the reminders sent, and what they could not send. Read-only: the rows are the claims."""

    list_display = [
        "created_at",
        "kind",
        "period",
        "request",
        "recipient",
        "sent_at",
        "attempts",
        "failed_at",
        "last_error",
    ]
    list_filter = [DeliveryFilter, "kind"]
    list_select_related = ["request", "recipient"]
    search_fields = ["request__reference", "recipient__email", "period"]
    actions = ["send_failed_again", "send_uncertain_again"]

    @admin.action(description=gettext_lazy("Send the failed ones again"))
    def send_failed_again(self, request, queryset):
        count = notifications.notifications_resend(notification_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(count)s failed notification(s) queued to be sent again.") % {"count": count})

    @admin.action(description=gettext_lazy("Send the uncertain ones again (their email may already have gone out)"))
    def send_uncertain_again(self, request, queryset):
        count = notifications.notifications_resend_uncertain(
            notification_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, _("%(count)s uncertain notification(s) queued to be sent again.") % {"count": count})


@admin.register(ReviewerPreference)
class ReviewerPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "daily_digest"]
    list_editable = ["daily_digest"]
    list_select_related = ["user"]
    search_fields = ["user__email"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    """Reported by licensees; a record of what they said."""

    list_display = ["title", "request", "venue", "year", "link", "reported_at"]
    list_filter = ["request__dataset"]
    list_select_related = ["request"]
    search_fields = ["title", "venue", "request__reference"]


# --- Review: remarks, and who was shown the delivery instructions --------------------------------


@admin.register(ReviewerRemark)
class ReviewerRemarkAdmin(ReadOnlyAdmin):
    """What reviewers noted, as they wrote it."""

    list_display = ["at", "request", "author", "text"]
    list_select_related = ["request", "author"]
    search_fields = ["request__reference", "text"]


@admin.register(DeliveryView)
class DeliveryViewAdmin(ReadOnlyAdmin):
    """Who was shown the delivery instructions, and when."""

    list_display = ["at", "request", "user", "ip"]
    list_select_related = ["request", "user"]
    search_fields = ["request__reference", "user__email"]


# The parts' own admin screens, registered with the site when Django loads this module.
from .identity import admin as _identity_admin  # noqa: E402,F401
from .privacy import admin as _privacy_admin  # noqa: E402,F401
