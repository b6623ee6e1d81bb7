"""The licence portal's data: datasets, their agreements, and the requests made under them."""

import datetime
import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import clock
from .agreement_format.spec import APPLICANT_COLUMNS
from .search import SearchFold
from .workflow import BOOKKEEPING, RESUBMIT, UPLOAD_SIGNED_COPY, WITHDRAW, Status, status_label

# A Hugging Face repository id, "owner/name" (ASCII letters, digits, "_", "." and "-"): the dataset
# file's loader and the admin accept only this.
HF_REPO_ID = r"[\w.-]+/[\w.-]+"


class Dataset(models.Model):
    """A dataset whose owner licenses it through the portal. Loaded from datasets/<slug>.toml."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    full_name = models.CharField(_("full name"), max_length=300)
    description = models.TextField(_("description"))
    facts = models.JSONField(_("facts"), default=dict, blank=True, help_text=_("Figures shown on the dataset page."))
    owner = models.CharField(_("owner"), max_length=300)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"))
    homepage = models.URLField(_("homepage"), blank=True)
    citation_text = models.TextField(_("citation text"), blank=True)
    citation_bibtex = models.TextField(_("citation bibtex"), blank=True)
    delivery_instructions = models.TextField(_("delivery instructions"), help_text=_("Shown to active licensees only."))
    reference_prefix = models.CharField(_("reference prefix"), max_length=12, unique=True)
    turnaround_days = models.PositiveSmallIntegerField(
        _("turnaround days"), default=10, help_text=_("Working days the owner promises for a decision.")
    )
    licence_duration_days = models.PositiveIntegerField(
        _("licence duration days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: licences do not expire."),
    )
    representative_confirmation_required = models.BooleanField(
        _("representative confirmation required"),
        default=False,
        help_text=_("A request is approved only once its representative confirmed it by email."),
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), blank=True, related_name="reviewed_datasets"
    )
    hf_repo = models.CharField(
        _("Hugging Face gated repository"),
        max_length=200,
        blank=True,
        help_text=_('"owner/name" of a gated dataset repository whose access follows the licences.'),
    )
    # How the owner wants the review run; editable in the admin (and canned reasons from the file).
    show_assignee_to_applicant = models.BooleanField(
        _("show assignee to applicant"),
        default=False,
        help_text=_("Tell applicants which reviewer handles their request (otherwise only that one does)."),
    )
    two_person_rule = models.BooleanField(
        _("two person rule"),
        default=False,
        help_text=_("Approval needs two different reviewers: the first approval is a recommendation."),
    )
    renewal_fast_path = models.BooleanField(
        _("renewal fast path"),
        default=False,
        help_text=_("A renewal that changes nothing is granted at once, without a reviewer."),
    )
    show_publications = models.BooleanField(
        _("show publications"),
        default=False,
        help_text=_("List on the dataset's page the papers licensees reported."),
    )
    canned_reasons = models.JSONField(
        _("canned reasons"),
        default=list,
        blank=True,
        help_text=_('Reasons reviewers can start from: a list of {"use": "return" or "reject", "label", "text"}.'),
    )

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("requests_app:dataset_detail", args=[self.slug])

    @property
    def fact_rows(self):
        """(label, value) in the file's order; a dict typed in the admin is shown as it comes."""
        return self.facts.items() if isinstance(self.facts, dict) else self.facts

    def review_due_since(self, now: datetime.datetime) -> datetime.datetime:
        """Requests submitted before this moment have waited longer than the promised turnaround."""
        return clock.working_days_before(now, self.turnaround_days)

    @property
    def current_agreement(self):
        return self.agreement_versions.order_by(*AgreementVersion.NEWEST_FIRST).first()


class AgreementVersion(models.Model):
    """One published wording of a dataset's agreement.

    Immutable once published: a changed text is a new version, so every request can always show
    exactly what its applicant accepted. `sha256` is over the canonical text (see agreements.py).
    """

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="agreement_versions"
    )
    label = models.CharField(_("label"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    preamble = models.TextField(_("preamble"), blank=True)
    clauses = models.JSONField(_("clauses"), help_text=_("Ordered list of {number, title, text}."))
    signer_fields = models.JSONField(
        _("signer fields"), help_text=_("Ordered list of {name, label, required, capitals}.")
    )
    signatory = models.TextField(_("signatory"), blank=True, help_text=_("Who must sign."))
    closing = models.TextField(_("closing"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    published_at = models.DateTimeField(_("published at"))
    # What a format 2 file declares beyond the above: its signers, the research-purpose switch,
    # text before the signers, submission instructions (agreement_format/spec.py reads it).
    layout = models.JSONField(_("layout"), default=dict, blank=True)
    reacceptance_required = models.BooleanField(
        _("reacceptance required"),
        default=False,
        help_text=_("Published with: holders of an active licence must accept the changed clauses."),
    )
    # The form's wording in other languages ({language: {"fields": …, "signers": …}}, see
    # agreement_format/languages.py): the portal's, not the agreement's, so outside `sha256`, and
    # the one part a reload of the file may change in place.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    # The first in this order is the dataset's current agreement.
    NEWEST_FIRST = ("-published_at", "-pk")

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["dataset", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "label"], name="unique_agreement_label"),
            models.UniqueConstraint(fields=["dataset", "sha256"], name="unique_agreement_text"),
        ]

    def __str__(self):
        return f"{self.dataset.name} agreement v{self.label}"

    @property
    def short_sha256(self):
        return self.sha256[:12]


class LicenseRequest(models.Model):
    Status = Status  # declared, with its transitions, in workflow.py

    # Filled in by the service that creates the request; null only inside that transaction.
    reference = models.CharField(_("reference"), max_length=40, unique=True, null=True, editable=False)
    token = models.CharField(
        _("token"),
        max_length=43,
        unique=True,
        editable=False,
        default=secrets.token_urlsafe,
        help_text=_("Unguessable; used in public verification links."),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="license_requests"
    )
    dataset = models.ForeignKey(Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="requests")
    agreement_version = models.ForeignKey(
        AgreementVersion, verbose_name=_("agreement version"), on_delete=models.PROTECT, related_name="requests"
    )

    representative_name = models.CharField(
        _("name of the authorized institutional representative"), max_length=200, blank=True
    )
    representative_title = models.CharField(_("title / position of the representative"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=300, blank=True)
    unit = models.CharField(_("department or unit that will use the data"), max_length=300, blank=True)
    address = models.TextField(_("postal address"), max_length=600, blank=True)
    email = models.EmailField(_("representative's email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    signing_date = models.DateField(_("date of signature"), null=True, blank=True)
    research_purpose = models.TextField(_("research purpose"), max_length=4000, blank=True)
    # Every value the applicant typed, keyed by the agreement's field names. The columns above
    # mirror the well-known keys (agreement_format.spec.WELL_KNOWN) for the queue, search and CSV.
    values = models.JSONField(_("values"), default=dict, blank=True)

    hf_username = models.CharField(_("Hugging Face username"), max_length=96, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
        help_text=_("The reviewer handling the request; set by the claim and assign services only."),
    )
    # The fields the last correction changed (the ones returned), for the reviewer to look at first.
    corrected_fields = models.JSONField(_("corrected fields"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    returned_fields = models.JSONField(_("returned fields"), default=list, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Set when the personal fields were replaced by "[removed]" (requests_app/privacy): pages and exports
    # then show the history's notes as removed too.
    personal_data_removed_at = models.DateTimeField(
        _("personal data removed at"), null=True, blank=True, editable=False
    )
    # The values the agreement marks searchable (agreement_format.spec.search_values), one per line:
    # written with `values` by every service that writes it (formfields.stored_values).
    search_values = models.TextField(_("searchable values"), blank=True, default="", editable=False)
    # What the reviewers' search matches, folded (requests_app.search), in one column the database
    # computes on every write (save, update, bulk_create, raw SQL alike), so no write path can leave
    # it stale; its index is made in migration 0037. A line break between fields, which a search box
    # cannot send, keeps a term within one field.
    search_text = models.GeneratedField(
        expression=SearchFold(
            Concat(
                "reference",
                models.Value("\n"),
                "representative_name",
                models.Value("\n"),
                "organisation",
                models.Value("\n"),
                "unit",
                models.Value("\n"),
                "email",
                models.Value("\n"),
                "search_values",
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("licence request")
        verbose_name_plural = _("licence requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="request_queue_idx"),
            models.Index(fields=["applicant", "-created_at"], name="request_applicant_idx"),
            # The reminder sweeps select due licences by date ranges.
            models.Index(fields=["status", "approved_at"], name="request_approved_idx"),
            models.Index(fields=["status", "expires_at"], name="request_expiry_idx"),
            # The reviewers' queue, oldest first, by status or across statuses (ties broken by id).
            models.Index(fields=["dataset", "status", "submitted_at", "id"], name="request_dataset_queue_idx"),
            models.Index(fields=["dataset", "submitted_at", "id"], name="request_waiting_idx"),
            # The queue's counts per status. A prefix of the first, but narrow (PostgreSQL deduplicates
            # it to a few pages), so counting 100,000 requests reads the index alone, in milliseconds.
            models.Index(fields=["dataset", "status"], name="request_status_count_idx"),
            # One reviewer's queue ("mine"), by status in its order: the counts and the page read only
            # that reviewer's rows, not every request of a status to find them.
            models.Index(
                fields=["assignee", "dataset", "status", "submitted_at", "id"], name="request_assignee_queue_idx"
            ),
        ]

    def __str__(self):
        return self.reference or f"draft #{self.pk}"

    def get_absolute_url(self):
        return reverse("requests_app:request_detail", args=[self.reference])

    def get_status_display(self) -> str:
        return status_label(self.status)

    def application_fields(self, version: AgreementVersion | None = None) -> list[dict]:
        """What the application asks for, in order: the agreement's signer fields, then the research purpose if asked."""
        from .agreement_format import spec

        return [f.as_dict() for f in spec.asked_fields(version or self.agreement_version)]

    def value(self, name: str):
        """What the applicant gave for field `name`: from `values`, else the column of that name."""
        if name in self.values:
            return self.values[name]
        return getattr(self, name, "") if name in _COLUMN_VALUES else ""

    def signer_values(self):
        """(label, value) for each value the agreement asks the signers for, in the agreement's order,
        labelled in the active language (a choice too; the values are as typed)."""
        from .agreement_format import formfields, localised, spec

        version = self.agreement_version
        specs = {f.name: f for f in localised.fields(version)}
        # Format 1 asks for a Latin form only beside another script: shown when given, like the PDF.
        unasked = {
            name
            for name, _label in spec.value_names(version)
            if name.endswith(spec.ROMANISED_SUFFIX) and spec.is_format_1(version) and not self.value(name)
        }
        shown = []
        for name, label in localised.value_names(version):
            if name == spec.PURPOSE_KEY or name in unasked:
                continue
            f = specs.get(name)
            value = localised.choice_label(f, self.value(name)) if f else self.value(name)
            shown.append((label, formfields.display(f.type if f else "text", value)))
        return shown

    @property
    def asks_purpose(self) -> bool:
        from .agreement_format import spec

        return spec.asks_purpose(self.agreement_version)

    def is_active(self, now: datetime.datetime) -> bool:
        """Approved, and not past its expiry (if it has one): applications.selectors.active_licences for one row."""
        return self.status == Status.APPROVED and (self.expires_at is None or self.expires_at > now)

    def is_overdue(self, now: datetime.datetime, *, due_since: datetime.datetime | None = None) -> bool:
        """Under review, and submitted longer ago than the dataset promises to decide in (working days).

        Counted from submission: a replaced signed copy does not restart the reviewers' clock.
        `due_since`, the dataset's review_due_since(now) when the caller has it already (a list of rows).
        """
        return (
            self.status == Status.UNDER_REVIEW
            and self.submitted_at is not None
            and self.submitted_at < (due_since or self.dataset.review_due_since(now))
        )

    @property
    def is_withdrawable(self):
        return WITHDRAW.allows(self.status)

    @property
    def accepts_signed_copy(self):
        return UPLOAD_SIGNED_COPY.allows(self.status)


# Every agreement asks for the research purpose, after its own signer fields.
RESEARCH_PURPOSE = {"name": "research_purpose", "label": "Research purpose"}
_COLUMN_VALUES = frozenset(APPLICANT_COLUMNS)


class ClauseAcceptance(models.Model):
    """The applicant ticked this clause, with this exact text, at this moment."""

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="clause_acceptances"
    )
    agreement_version = models.ForeignKey(
        AgreementVersion, verbose_name=_("agreement version"), on_delete=models.PROTECT, related_name="+"
    )
    clause_number = models.PositiveSmallIntegerField(_("clause number"))
    text_sha256 = models.CharField(_("text SHA-256"), max_length=64)
    accepted_at = models.DateTimeField(_("accepted at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("clause acceptance")
        verbose_name_plural = _("clause acceptances")
        ordering = ["request", "accepted_at", "clause_number"]

    def __str__(self):
        return f"{self.request} clause {self.clause_number} accepted {self.accepted_at:%Y-%m-%d %H:%M}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} is append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} is append-only.")


class RequestEventQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        from .audit.links import link_all

        objs = list(objs)
        link_all(objs)
        return super().bulk_create(objs, *args, **kwargs)


class AppendOnly(models.Model):
    """A record: written once, never updated or deleted through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} is append-only.")


class RequestEvent(AppendOnly):
    """One change to a request. Append-only: the audit trail and the status history read from it.

    The model refuses updates and deletes, and database triggers (migration 0002) refuse them too,
    so not even raw SQL or the admin can rewrite history.
    """

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=LicenseRequest.Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=LicenseRequest.Status.choices)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The browser an answer came from where no account stands behind it (the representative's): with
    # the time and the IP it is what the answer rests on. Nullable for a plain ADD COLUMN, as `transition`.
    user_agent = models.CharField(_("user agent"), max_length=400, null=True, blank=True, editable=False)
    # The hash chain (requests_app/audit/chain.py), filled in by save()/bulk_create, never by callers.
    seq = models.PositiveIntegerField(_("seq"), editable=False, help_text=_("1, 2, 3... within the request."))
    prev_hash = models.CharField(_("prev hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)
    # The workflow service that wrote the event (empty for the draft's first one). Nullable so that
    # adding it is a plain ADD COLUMN on SQLite: rebuilding the table would drop its append-only triggers.
    transition = models.CharField(_("transition"), max_length=60, null=True, blank=True, editable=False)

    objects = RequestEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["request", "seq"], name="unique_event_seq")]
        indexes = [
            # The queue's "resubmitted" flag: PostgreSQL plans it for the queue's every row, not its page's
            # (it cannot see the LIMIT), and then read every event to find the few resubmissions.
            models.Index(
                fields=["request"], condition=models.Q(transition=RESUBMIT.service), name="event_resubmitted_idx"
            ),
        ]

    def __str__(self):
        return f"{self.request} {self.from_status or '-'} -> {self.to_status} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # The chain is linked as the event is written, wherever it is written from.
        if self._state.adding:
            from .audit.links import link_all

            link_all([self])
        super().save(*args, **kwargs)

    def get_from_status_display(self) -> str:
        return status_label(self.from_status)

    def get_to_status_display(self) -> str:
        return status_label(self.to_status)

    @property
    def note_for_applicant(self) -> str:
        """The note as the applicant's history shows it: who handles the request only if the owner says so."""
        if self.transition in BOOKKEEPING and not self.request.dataset.show_assignee_to_applicant:
            return "A reviewer is handling your request."
        return self.note


# --- The issued agreement and the signed copies that come back (issue 4) ---------------------


def _issued_agreement_path(instance, filename):
    # Random names, like the signed copies': the reference and the applicant are not in the name.
    return f"issued_agreements/{secrets.token_hex(16)}.pdf"


class IssuedAgreement(models.Model):
    """The agreement PDF exactly as it was issued: a record, not a view.

    Rendered once when the request goes to awaiting_signature and never re-rendered: downloads
    serve these bytes, and a digitally signed upload must start with them byte for byte. The bytes
    live in the file storage the signed copies use (the filesystem, or a bucket every web and
    worker machine shares); `sha256` and `length` are theirs. `file` is empty once the personal
    data was removed. `issue` counts the documents issued for one request (a correction issues a
    new one); the QR code on every page carries it.
    """

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="issued_agreements"
    )
    agreement_version = models.ForeignKey(
        AgreementVersion, verbose_name=_("agreement version"), on_delete=models.PROTECT, related_name="+"
    )
    issue = models.PositiveSmallIntegerField(_("issue"))
    file = models.FileField(_("file"), upload_to=_issued_agreement_path, max_length=200, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    length = models.PositiveIntegerField(_("length"))
    pages = models.PositiveSmallIntegerField(_("pages"))
    issued_at = models.DateTimeField(_("issued at"))
    areas = models.JSONField(
        _("areas"),
        default=list,
        blank=True,
        help_text=_(
            'Where the places to write in were drawn: [{"page", "kind", "box": [left, bottom, right, top] in points}].'
        ),
    )

    class Meta:
        verbose_name = _("issued agreement")
        verbose_name_plural = _("issued agreements")
        ordering = ["request", "issue"]
        constraints = [
            models.UniqueConstraint(fields=["request", "issue"], name="unique_agreement_issue"),
        ]

    def __str__(self):
        return f"{self.request} agreement, issue {self.issue}"

    @property
    def filename(self):
        return f"{self.request.reference}-agreement-{self.issue}.pdf"

    @property
    def pdf(self) -> bytes:
        """The issued bytes, read from the storage at each access (b"" once removed)."""
        if not self.file:
            return b""
        # From the storage itself: a FieldFile's cached handle cannot be reopened on every backend.
        with self.file.storage.open(self.file.name, "rb") as stored:
            return stored.read()


def _signed_copy_path(instance, filename):
    # Random names: an original filename never reaches the disk, and names cannot be guessed.
    return f"signed_copies/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class SignedCopy(models.Model):
    """One upload of the signed agreement (a PDF, or one or more page images), with its check.

    A new upload before the decision adds a row; earlier ones stay, for the history. Where the
    agreement asks for the owner's countersignature, a reviewer uploads the countersigned copy after
    approval (`countersigned`): the executed agreement, the licensee's to download.
    """

    class Kind(models.TextChoices):
        DIGITAL_SIGNATURE_VERIFIED = "digital_signature_verified", _("Digital signature verified")
        DIGITAL_SIGNATURE_UNTRUSTED = (
            "digital_signature_untrusted",
            _("Digital signature intact; identity not verified"),
        )
        SCAN_QR_CHECKED = "scan_qr_checked", _("Scan: every page's code is this agreement's")
        SCAN_QR_INCOMPLETE = "scan_qr_incomplete", _("Scan: some pages without a readable code")
        SCAN_MATCHED = "scan_matched", _("Scan: every page matches the issued one, signed")
        SCAN_TO_CHECK = "scan_to_check", _("Scan: signed; small differences outlined for the reviewer")

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="signed_copies"
    )
    issued_agreement = models.ForeignKey(
        IssuedAgreement, verbose_name=_("issued agreement"), on_delete=models.PROTECT, related_name="signed_copies"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    page_results = models.JSONField(_("page results"), default=list, help_text=_("Per page: {page, status, message}."))
    summary = models.TextField(_("summary"))
    countersigned = models.BooleanField(
        _("countersigned"),
        default=False,
        help_text=_("The owner's countersigned copy (the executed agreement), uploaded by a reviewer."),
    )

    class Meta:
        verbose_name = _("signed copy")
        verbose_name_plural = _("signed copies")
        ordering = ["request", "-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.request} signed copy of {self.uploaded_at:%Y-%m-%d %H:%M}"

    @property
    def is_verified(self):
        return self.kind not in (
            self.Kind.SCAN_QR_INCOMPLETE,
            self.Kind.SCAN_TO_CHECK,
            self.Kind.DIGITAL_SIGNATURE_UNTRUSTED,
        )


class SignedCopyFile(models.Model):
    """One stored file of an upload: the PDF, or one page image. Served only by a checked view."""

    signed_copy = models.ForeignKey(
        SignedCopy, verbose_name=_("signed copy"), on_delete=models.PROTECT, related_name="files"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    file = models.FileField(_("file"), upload_to=_signed_copy_path, max_length=200)
    original_name = models.CharField(_("original name"), max_length=120)
    content_type = models.CharField(
        _("content type"), max_length=40, help_text=_("Decided from the content, not the name.")
    )
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("signed copy file")
        verbose_name_plural = _("signed copy files")
        ordering = ["signed_copy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["signed_copy", "position"], name="unique_signed_copy_position"),
        ]

    def __str__(self):
        return self.original_name


# --- Reminders, notifications and publications -------------------------------------------------


class Notification(models.Model):
    """The record that one reminder is (being) sent. Written before sending, in the claim itself.

    Unique on (request, kind, period) — or (recipient, kind, period) for a reviewer's digest — so
    a second claim of the same reminder fails in the database, whoever tries: a task run twice,
    two beats, two workers. `claimed_at` is set while one worker is sending; `failed_at` when the
    retries gave up (the admin lists those under "failed").
    """

    class Kind(models.TextChoices):
        TERMS_REMINDER = "terms_reminder", _("Terms and citation reminder")
        SIGNATURE_NUDGE = "signature_nudge", _("Signed agreement still awaited")
        RETURNED_NUDGE = "returned_nudge", _("Correction still awaited")
        STALE_WITHDRAWN = "stale_withdrawn", _("Withdrawn as stale")
        EXPIRY_NOTICE = "expiry_notice", _("Licence expires soon")
        EXPIRED = "expired", _("Licence expired")
        REVIEWER_DIGEST = "reviewer_digest", _("Reviewer's daily digest")
        REQUEST_APPROVED = "request_approved", _("Licence approved")
        REQUEST_REJECTED = "request_rejected", _("Request rejected")
        REQUEST_RETURNED = "request_returned", _("Returned for correction")
        REQUEST_REVOKED = "request_revoked", _("Licence revoked")
        REACCEPTANCE_NEEDED = "reacceptance_needed", _("Changed agreement to accept")
        REACCEPTANCE_NUDGE = "reacceptance_nudge", _("Changed agreement still to accept")
        NEW_WORK = "new_work", _("Reviewers: new work")
        NEW_WORK_DIGEST = "new_work_digest", _("Reviewers: new work, daily")
        SUBMISSION_RECEIPT = "submission_receipt", _("Receipt: submitted")
        UPLOAD_RECEIPT = "upload_receipt", _("Receipt: signed copy")
        LICENCE_EXTENDED = "licence_extended", _("Licence extended")
        RENEWAL_REFUSED = "renewal_refused", _("Renewal refused")
        PAPERS_REMINDER = "papers_reminder", _("Yearly: report your papers")
        EXECUTED_AGREEMENT = "executed_agreement", _("Executed agreement ready")

    request = models.ForeignKey(
        LicenseRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Set for notifications that are about a person, not one request (the digest)."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=40, help_text=_('Which occurrence, e.g. "month-6".'))
    created_at = models.DateTimeField(_("created at"))
    # Lets the sweep that inserted a batch (with ignore_conflicts) find exactly the rows it won.
    claim_token = models.CharField(_("claim token"), max_length=32, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "period"], name="unique_request_notification"),
            models.UniqueConstraint(
                fields=["recipient", "kind", "period"],
                condition=models.Q(request__isnull=True),
                name="unique_recipient_notification",
            ),
            models.CheckConstraint(
                condition=models.Q(request__isnull=False) | models.Q(recipient__isnull=False),
                name="notification_has_addressee",
            ),
        ]
        indexes = [models.Index(fields=["claim_token"], name="notification_claim_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period} ({self.request or self.recipient})"

    @staticmethod
    def wait_period(*, days: int, since: datetime.datetime) -> str:
        """A reminder's period during one wait: a request can wait for its applicant twice (after a return)."""
        return f"day-{days} since {since:%Y-%m-%dT%H:%M:%S}"


class ReviewerPreference(models.Model):
    """A reviewer's choices about email. No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="reviewer_preference"
    )
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=True,
        help_text=_("Email a daily list of requests waiting longer than the promised turnaround."),
    )

    class NewWork(models.TextChoices):
        EACH = "each", _("An email for each")
        DAILY = "daily", _("One email a day")
        NONE = "none", _("No email")

    new_work = models.CharField(
        _("new work"),
        max_length=10,
        choices=NewWork.choices,
        default=NewWork.EACH,
        help_text=_("How to hear of submissions, signed copies and corrections in the datasets one reviews."),
    )

    class Meta:
        verbose_name = _("reviewer's preference")
        verbose_name_plural = _("reviewers' preferences")

    def __str__(self):
        return f"Preferences of {self.user}"


class Publication(models.Model):
    """A paper that uses the dataset, as reported by the licensee."""

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="publications"
    )
    title = models.CharField(_("title"), max_length=500)
    venue = models.CharField(_("venue"), max_length=300)
    year = models.PositiveSmallIntegerField(_("year"))
    link = models.CharField(_("DOI or URL"), max_length=500)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-year", "-reported_at"]

    def __str__(self):
        return self.title

    @property
    def href(self):
        """Where the link points: a DOI resolves through doi.org."""
        return self.link if self.link.startswith(("http://", "https://")) else f"https://doi.org/{self.link}"


# --- Review: what reviewers write and what they can see about a licence -----------------------------


class ReviewerRemark(models.Model):
    """An internal note by a reviewer on a request. The applicant never sees it."""

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="remarks"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("text"), max_length=4000)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("reviewer's remark")
        verbose_name_plural = _("reviewers' remarks")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"Remark on {self.request} at {self.at:%Y-%m-%d %H:%M}"


class DeliveryView(models.Model):
    """A licensee was shown the owner's delivery instructions: reviewers see who looked, and when."""

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="delivery_views"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery instructions view")
        verbose_name_plural = _("delivery instructions views")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request} delivery instructions shown {self.at:%Y-%m-%d %H:%M}"


class ReviewerGrant(AppendOnly):
    """Someone was made a reviewer of a dataset (granted) or stopped being one, by whom and when."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="reviewer_grants"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    granted = models.BooleanField(_("granted"), help_text=_("True: made a reviewer; False: no longer one."))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: from the command line."),
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("reviewer grant")
        verbose_name_plural = _("reviewer grants")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.reviewer} {'made' if self.granted else 'no longer'} a reviewer of {self.dataset}"


# --- New versions of an agreement: licensees accept what changed ----------------------------------


class Reacceptance(models.Model):
    """A licensee must accept `agreement_version` (a changed agreement) to keep using the data.

    The request keeps the version it was signed under (its PDF and verification page show that
    one); this row records that a newer wording was required and when it was accepted. The clauses
    accepted are ClauseAcceptance rows of `agreement_version`; `sha256` is that version's.
    """

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="reacceptances"
    )
    agreement_version = models.ForeignKey(
        AgreementVersion, verbose_name=_("agreement version"), on_delete=models.PROTECT, related_name="+"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    required_at = models.DateTimeField(_("required at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-acceptance")
        verbose_name_plural = _("re-acceptances")
        ordering = ["request", "required_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "agreement_version"], name="unique_reacceptance"),
        ]
        indexes = [models.Index(fields=["accepted_at", "required_at"], name="reacceptance_pending_idx")]

    def __str__(self):
        return f"{self.request} to accept {self.agreement_version}"


# The download side's data (API keys, webhooks, Hugging Face calls) lives in its own package.
# --- Languages: what each person reads (requests_app/i18n) ---------------------------------------
from .i18n.models import LanguagePreference  # noqa: E402,F401

# --- Who is asking: the representative's confirmation (requests_app/identity) ----------------------
from .identity.models import RepresentativeConfirmation  # noqa: E402,F401
from .integrations.models import (  # noqa: E402,F401
    ApiKey,
    HuggingFaceCall,
    HuggingFacePendingRequest,
    Webhook,
    WebhookDelivery,
)

# --- Personal data: who looked at a signed copy (requests_app/privacy) ------------------------------
from .privacy.models import SignedCopyView  # noqa: E402,F401

# --- Renewals: a licence extended under the same reference ------------------------------------------


class Renewal(models.Model):
    """A licensee's request to extend their licence, with the details as they would stand after it.

    `fields` holds every application field as proposed; `changed` names those that differ from the
    licence. Decided once: `granted_at` with the new expiry (the licence's own fields are updated by
    the extension itself, recorded as its RequestEvent), or `refused_at` with the reviewer's reason
    (the licence runs on to its expiry as it stands). Open while neither is set.
    """

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="renewals"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    fields = models.JSONField(_("fields"))
    changed = models.JSONField(_("changed"), default=list)
    granted_at = models.DateTimeField(_("granted at"), null=True, blank=True)
    granted_until = models.DateTimeField(_("granted until"), null=True, blank=True)
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("refused by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refusal_reason = models.TextField(_("refusal reason"), blank=True)

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["request", "-requested_at"]
        constraints = [
            # One open renewal per licence.
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(granted_at__isnull=True, refused_at__isnull=True),
                name="one_open_renewal",
            ),
            models.CheckConstraint(
                condition=models.Q(granted_at__isnull=True) | models.Q(refused_at__isnull=True),
                name="renewal_granted_or_refused",
            ),
        ]

    def __str__(self):
        return f"Renewal of {self.request} ({self.requested_at:%Y-%m-%d})"


from .documents.models import QuarantinedFile, UploadCheck  # noqa: E402,F401
