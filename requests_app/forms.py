"""Forms validate input only; services decide what it does."""

import datetime
import re
import unicodedata

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils import timezone

from .agreements import SIGNER_FIELD_NAMES
from .models import AgreementVersion, LicenseRequest, Publication
from .signed_copies import UploadRefused, check_upload

# Single-line fields may hold no control characters at all; they reach PDFs and email headers.
_MULTILINE_FIELDS = {"address", "research_purpose"}

# Bidirectional overrides and isolates can make a printed name read differently from what was stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Something that starts like a tag: reportlab's paragraph markup (<para>, <b>) and HTML alike.
_MARKUP = re.compile(r"<\s*[/!?]?\s*[A-Za-z]")
# Emoji blocks; the agreement's fonts (Latin and CJK) cannot print them.
_EMOJI_RANGES = ((0x2600, 0x27BF), (0x1F000, 0x1FAFF), (0xFE0E, 0xFE0F), (0xE0020, 0xE007F))


def _is_control(c: str, multiline: bool) -> bool:
    if multiline and c in "\n\t":
        return False
    return unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI_CONTROLS


def _check_plain_text(value: str, multiline: bool) -> str:
    """Refuse what cannot be printed faithfully on the agreement or sent safely in an email."""
    value = value.replace("\r\n", "\n")
    if any(_is_control(c, multiline) for c in value):
        raise forms.ValidationError("Remove the invisible control characters from this field.")
    if _MARKUP.search(value):
        raise forms.ValidationError("Remove the markup (text such as <b> or </para>): enter plain text only.")
    if any(low <= ord(c) <= high for c in value for low, high in _EMOJI_RANGES):
        raise forms.ValidationError("Remove the emoji: the agreement cannot print them.")
    if value and all(unicodedata.category(c)[0] in "ZC" for c in value):
        raise forms.ValidationError("Enter visible text, not only invisible characters.")
    return value


class ApplicationForm(forms.ModelForm):
    """The researcher's application: the fields the agreement asks for, and every clause.

    When saving a draft nothing is required and clauses need not be ticked; when submitting,
    the agreement's required fields and every clause are.
    """

    class Meta:
        model = LicenseRequest
        # Every field an agreement may ask the signer for; __init__ drops those this one does not.
        fields = [*SIGNER_FIELD_NAMES, "research_purpose"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "research_purpose": forms.Textarea(attrs={"rows": 5}),
            "signing_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "unit": "Clause 2: the data may not be passed to any other facility or unit of your organisation.",
            "research_purpose": "What the data will be used for.",
        }

    def __init__(self, *args, agreement: AgreementVersion, submitting: bool, editable_fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self._asked = {f["name"]: f for f in agreement.signer_fields}
        for name in list(self.fields):
            if name == "research_purpose":
                self.fields[name].required = submitting
                continue
            spec = self._asked.get(name)
            if spec is None:
                del self.fields[name]
                continue
            self.fields[name].label = spec["label"]
            self.fields[name].required = submitting and spec["required"]
            if spec["capitals"]:
                self.fields[name].widget.attrs["style"] = "text-transform: uppercase"
        for name, field in self.fields.items():
            limit = LicenseRequest._meta.get_field(name).max_length
            if limit:
                field.max_length = limit
                field.widget.attrs["maxlength"] = limit
        if editable_fields is not None:
            for name in set(self.fields) - set(editable_fields):
                self.fields[name].disabled = True
        # A correction keeps the clause acceptances already recorded: the agreement version is unchanged.
        for clause in agreement.clauses if editable_fields is None else ():
            self.fields[f"clause_{clause['number']}"] = forms.BooleanField(
                required=submitting,
                label=f"I accept clause {clause['number']} ({clause['title']}).",
                error_messages={"required": "You must accept this clause to submit."},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if not isinstance(value, str) or name.startswith("clause_"):
                continue
            try:
                value = _check_plain_text(value, name in _MULTILINE_FIELDS)
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            if self._asked.get(name, {}).get("capitals"):
                value = value.upper()
                # Upper-casing can lengthen text ("ß" becomes "SS"); the column cannot.
                limit = self.fields[name].max_length
                if limit and len(value) > limit:
                    self.add_error(name, f"In capitals this is {len(value)} characters; the limit is {limit}.")
                    continue
            cleaned[name] = value
        return cleaned

    def clean_signing_date(self):
        value = self.cleaned_data.get("signing_date")
        today = timezone.localdate()
        # In a correction a date the applicant may not change is not theirs to fix.
        if value and not self.fields["signing_date"].disabled and abs(value - today) > datetime.timedelta(days=366):
            raise forms.ValidationError("Enter the date the agreement will be signed, within a year of today.")
        return value

    @property
    def clauses_with_fields(self):
        return [
            (clause, self[f"clause_{clause['number']}"]) for clause in self.agreement.clauses
            if f"clause_{clause['number']}" in self.fields
        ]

    @property
    def detail_fields(self):
        return [self[name] for name in self.fields if not name.startswith("clause_")]

    def request_fields(self) -> dict:
        """The cleaned request fields, ready for a service (clauses and disabled fields left out)."""
        return {
            name: value for name, value in self.cleaned_data.items()
            if not name.startswith("clause_") and not self.fields[name].disabled
        }


# --- The signed copy (issue 4) -------------------------------------------------------------------


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(_MultipleFileField, self).clean(f, initial) for f in files]


class SignedCopyForm(forms.Form):
    """The signed agreement: one PDF (scanned or digitally signed), or JPEG/PNG page images.

    Validation is the whole check (signed_copies.check_upload); `checked` holds its result.
    """

    files = _MultipleFileField(
        label="Signed agreement",
        help_text="One PDF (a scan, or the issued PDF signed digitally), or one JPEG/PNG image per page.",
    )

    def __init__(self, *args, issued, **kwargs):
        super().__init__(*args, **kwargs)
        self.issued = issued
        self.checked = None

    @property
    def limits(self) -> dict:
        """What the applicant is told before choosing a file."""
        return {"megabytes": settings.SIGNED_COPY_MAX_BYTES // 1_000_000, "pages": settings.SIGNED_COPY_MAX_PAGES}

    def clean_files(self):
        try:
            self.checked = check_upload(self.cleaned_data["files"], issued=self.issued)
        except UploadRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return self.cleaned_data["files"]
# --- Publications ---------------------------------------------------------------------------------

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


class PublicationForm(forms.ModelForm):
    """A paper that uses the dataset. The link is a DOI (10.xxxx/...) or an http(s) URL."""

    class Meta:
        model = Publication
        fields = ["title", "venue", "year", "link"]
        help_texts = {"link": "A DOI such as 10.1109/CVPR.2025.01234, or the paper's web address."}

    def clean_title(self):
        return _check_plain_text(self.cleaned_data["title"].strip(), multiline=False)

    def clean_venue(self):
        return _check_plain_text(self.cleaned_data["venue"].strip(), multiline=False)

    def clean_year(self):
        year = self.cleaned_data["year"]
        latest = timezone.localdate().year + 1  # accepted papers appear next year
        if not 1950 <= year <= latest:
            raise forms.ValidationError(f"Enter a year between 1950 and {latest}.")
        return year

    def clean_link(self):
        link = self.cleaned_data["link"].strip()
        lowered = link.lower()
        for prefix in _DOI_PREFIXES:
            if lowered.startswith(prefix):
                link = link[len(prefix):].strip()
                break
        if _DOI.match(link):
            return link
        try:
            URLValidator(schemes=["http", "https"])(link)
        except forms.ValidationError:
            raise forms.ValidationError(
                "Enter a DOI (like 10.1109/CVPR.2025.01234) or a web address starting with https://."
            ) from None
        return link
