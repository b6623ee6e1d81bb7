"""Forms validate input only; services decide what it does."""

import datetime
import re
import unicodedata

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.validators import RegexValidator, URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import clock
from ..agreement_format import formfields, localised, spec
from ..documents import fonts
from ..documents.signed_copies import UploadRefused, read_upload
from ..models import AgreementVersion, LicenseRequest, Publication

HF_USERNAME_FIELD = spec.HF_USERNAME_KEY
HF_USERNAME = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$",
    "Enter your Hugging Face username as it appears in your profile's address.",
)

# Single-line fields may hold no control characters at all; they reach PDFs and email headers.
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
        raise forms.ValidationError(_("Remove the invisible control characters from this field."))
    if _MARKUP.search(value):
        raise forms.ValidationError(_("Remove the markup (text such as <b> or </para>): enter plain text only."))
    if any(low <= ord(c) <= high for c in value for low, high in _EMOJI_RANGES):
        raise forms.ValidationError(_("Remove the emoji: the agreement cannot print them."))
    if value and all(unicodedata.category(c)[0] in "ZC" for c in value):
        raise forms.ValidationError(_("Enter visible text, not only invisible characters."))
    return value


def _check_printable(value: str) -> None:
    """Refuse what the agreement's fonts cannot print: it would reach the PDF as empty boxes."""
    missing = fonts.unprintable(value)
    if missing:
        shown = [c for c in missing if not unicodedata.category(c).startswith("M")] or missing
        raise forms.ValidationError(
            _(
                "The agreement cannot print %(characters)s (%(scripts)s). Write this in a script it prints: %(printable)s."
            )
            % {"characters": " ".join(shown[:5]), "scripts": fonts.script_names(missing), "printable": fonts.SCRIPTS}
        )


class ApplicationForm(forms.Form):
    """The researcher's application: the fields the agreement declares, in its order, and every clause.

    When saving a draft nothing is required and clauses need not be ticked; when submitting,
    the agreement's required fields and every clause are. The fields come from the agreement
    version (agreement_format.spec), so a new agreement needs no code.
    """

    def __init__(
        self,
        *args,
        agreement: AgreementVersion,
        submitting: bool,
        editable_fields=None,
        instance: LicenseRequest | None = None,
        **kwargs,
    ):
        self.instance = instance
        self.agreement = agreement
        self.submitting = submitting
        # Labelled in the reader's language; the values and the PDF keep the file's wording.
        self._specs = {f.name: f for f in localised.asked_fields(agreement)}
        initial = kwargs.pop("initial", None) or {}
        if instance is not None:
            for f in self._specs.values():
                initial.setdefault(f.name, formfields.from_stored(f.type, instance.value(f.name)))
                if f.romanised_name:
                    initial.setdefault(f.romanised_name, instance.value(f.romanised_name))
        super().__init__(*args, initial=initial, **kwargs)
        self._multiline = set()
        self._capitals = set()
        for f in self._specs.values():
            self.fields[f.name] = formfields.form_field(f, submitting=submitting)
            if f.multiline:
                self._multiline.add(f.name)
            if f.capitals:
                self._capitals.add(f.name)
            if f.romanised_name:
                self.fields[f.romanised_name] = formfields.romanised_field(f, submitting=submitting)
                self._capitals.add(f.romanised_name)
        if agreement.dataset.hf_repo:
            # The dataset is also a gated Hugging Face repository: access goes to this account (integrations).
            self.fields[HF_USERNAME_FIELD] = forms.CharField(
                label=_("Hugging Face username"),
                max_length=96,
                required=submitting,
                validators=[HF_USERNAME],
                help_text=_("Access to %(repo)s on Hugging Face is granted to this account.")
                % {"repo": agreement.dataset.hf_repo},
            )
            if instance is not None:
                self.initial.setdefault(HF_USERNAME_FIELD, instance.hf_username)
        self._mark_needed_to_submit(submitting)
        if editable_fields is not None:
            for name in set(self.fields) - set(editable_fields):
                base = name.removesuffix(spec.ROMANISED_SUFFIX)
                if base not in editable_fields:
                    self.fields[name].disabled = True
        # A correction keeps the clause acceptances already recorded: the agreement version is unchanged.
        for clause in localised.clauses(agreement) if editable_fields is None else ():
            self.fields[f"clause_{clause['number']}"] = forms.BooleanField(
                required=submitting,
                label=(
                    _("I accept clause %(number)s (%(title)s).")
                    % {"number": clause["number"], "title": clause["title"]}
                    if clause.get("title")
                    else _("I accept clause %(number)s.") % {"number": clause["number"]}
                ),
                error_messages={"required": _("You must accept this clause to submit.")},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    @property
    def has_capitals(self) -> bool:
        return bool(self._capitals)

    def _mark_needed_to_submit(self, submitting: bool) -> None:
        """Say which fields submitting needs before the first try; a draft may still leave them empty.

        When submitting they are required, and the form marks them as such itself.
        """
        for name in self.fields:
            spec = self._specs.get(name)
            needed = name == "research_purpose" or (spec is not None and spec.required)
            if needed and not submitting:
                self.fields[name].label = f"{self.fields[name].label} *"
                self.fields[name].widget.attrs["aria-required"] = "true"

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if not isinstance(value, str) or name.startswith("clause_"):
                continue
            try:
                value = _check_plain_text(value, name in self._multiline)
                _check_printable(value)
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            if name in self._capitals:
                value = value.upper()
                # Upper-casing can lengthen text ("ß" becomes "SS"); the column cannot.
                limit = self.fields[name].max_length
                if limit and len(value) > limit:
                    self.add_error(
                        name,
                        _("In capitals this is %(length)s characters; the limit is %(limit)s.")
                        % {"length": len(value), "limit": limit},
                    )
                    continue
            cleaned[name] = value
        for name, f in self._specs.items():
            if f.type == "date" and name in self.fields and not self.fields[name].disabled:
                self._check_date(name, cleaned.get(name))
            if f.romanised_name:
                self._check_romanised(f, cleaned)
        return cleaned

    def _check_date(self, name, value):
        today = clock.today()
        # In a correction a date the applicant may not change is not theirs to fix.
        if value and abs(value - today) > datetime.timedelta(days=366):
            self.add_error(name, _("Enter the date the agreement will be signed, within a year of today."))

    def _check_romanised(self, f: spec.Field, cleaned: dict) -> None:
        """The Latin form beside a value in another script: in Latin letters, and given when submitting."""
        companion = f.romanised_name
        if companion not in self.fields or self.fields[companion].disabled or companion not in cleaned:
            return
        original, latin = cleaned.get(f.name) or "", (cleaned.get(companion) or "").strip()
        if latin and not formfields.is_latin(latin):
            self.add_error(companion, formfields.ROMANISED_NOT_LATIN)
        elif self.submitting and formfields.needs_latin_form(original) and not latin:
            self.add_error(companion, formfields.ROMANISED_MISSING)
        else:
            cleaned[companion] = latin

    @property
    def clauses_with_fields(self):
        return [
            (clause, self[f"clause_{clause['number']}"])
            for clause in localised.clauses(self.agreement)
            if f"clause_{clause['number']}" in self.fields
        ]

    @property
    def detail_fields(self):
        return [self[name] for name in self.fields if not name.startswith("clause_")]

    def signer_groups(self):
        """(signer title, its bound fields) in order, then ("", [purpose]) if the agreement asks for it."""
        groups = []
        for signer in localised.signers(self.agreement):
            names = []
            for f in signer.fields:
                if f.asked:
                    names += [f.name, f.romanised_name] if f.romanised_name else [f.name]
            groups.append((signer.title, [self[n] for n in names]))
        last = [self[name] for name in (spec.PURPOSE_KEY, HF_USERNAME_FIELD) if name in self.fields]
        if last:
            groups.append(("", last))
        return groups

    def request_fields(self) -> dict:
        """The cleaned request values, ready for a service (clauses and disabled fields left out).

        `values` holds every field; the well-known ones are mirrored into their columns.
        """
        changed = {
            name: value
            for name, value in self.cleaned_data.items()
            if not name.startswith("clause_") and not self.fields[name].disabled
        }
        values = dict(self.instance.values) if self.instance is not None else {}
        values.update({name: formfields.to_stored(value) for name, value in changed.items()})
        columns = {
            name: value
            for name, value in changed.items()
            if name in spec.WELL_KNOWN or name in (spec.PURPOSE_KEY, HF_USERNAME_FIELD)
        }
        if "signing_date" in columns and columns["signing_date"] == "":
            columns["signing_date"] = None
        return {**columns, "values": values}


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

    Validation is what can be told at once (signed_copies.read_upload: size, count, type); `parts`
    holds the files read. The whole check runs later, in a worker (documents/quarantine.py).
    """

    files = _MultipleFileField(
        label=gettext_lazy("Signed agreement"),
        help_text=gettext_lazy("One PDF (a scan, or the issued PDF signed digitally), or one JPEG/PNG image per page."),
    )

    def __init__(self, *args, issued, **kwargs):
        super().__init__(*args, **kwargs)
        self.issued = issued
        self.parts = None
        self.fields["files"].widget.attrs["data-max-bytes"] = settings.SIGNED_COPY_MAX_BYTES

    @property
    def limits(self) -> dict:
        """What the applicant is told before choosing a file."""
        return {"megabytes": settings.SIGNED_COPY_MAX_BYTES // 1_000_000, "pages": settings.SIGNED_COPY_MAX_PAGES}

    def clean_files(self):
        try:
            self.parts = read_upload(self.cleaned_data["files"])
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
        help_texts = {"link": gettext_lazy("A DOI such as 10.1109/CVPR.2025.01234, or the paper's web address.")}

    def clean_title(self):
        return _check_plain_text(self.cleaned_data["title"].strip(), multiline=False)

    def clean_venue(self):
        return _check_plain_text(self.cleaned_data["venue"].strip(), multiline=False)

    def clean_year(self):
        year = self.cleaned_data["year"]
        latest = clock.today().year + 1  # accepted papers appear next year
        if not 1950 <= year <= latest:
            raise forms.ValidationError(_("Enter a year between 1950 and %(latest)s.") % {"latest": latest})
        return year

    def clean_link(self):
        link = self.cleaned_data["link"].strip()
        lowered = link.lower()
        for prefix in _DOI_PREFIXES:
            if lowered.startswith(prefix):
                link = link[len(prefix) :].strip()
                break
        if _DOI.match(link):
            return link
        try:
            URLValidator(schemes=["http", "https"])(link)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("Enter a DOI (like 10.1109/CVPR.2025.01234) or a web address starting with https://.")
            ) from None
        return link
