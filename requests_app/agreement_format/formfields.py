"""A declared field as a Django form field, and its value as stored in a request's `values`.

`values` holds JSON: text as strings, a date as YYYY-MM-DD, a tick box as true/false. Whoever
writes it, the services check it first with `clean_values`, through the same form fields the
application form asks with, so every stored value passed its field's checks.
Values with one canonical spelling are stored in it, whatever the applicant typed: an ORCID iD
without its https://orcid.org/ prefix, a country as its ISO code, a telephone number in the
international format (+86 29 8849 1234).
"""

import datetime
import re
import unicodedata

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy
from django_countries import countries

from ..i18n.date_fields import YearFirstDateField
from .spec import HF_USERNAME_KEY, Field, asked_fields, search_values

_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def _orcid_checksum_ok(orcid: str) -> bool:
    digits = orcid.replace("-", "")
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


class OrcidField(forms.CharField):
    default_error_messages = {
        "invalid": gettext_lazy("Enter an ORCID iD as 0000-0000-0000-0000 (the last character may be X).")
    }

    def clean(self, value):
        value = super().clean(value)
        if value:
            value = value.strip().removeprefix("https://orcid.org/").upper()
            if not _ORCID.match(value) or not _orcid_checksum_ok(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class TelInput(forms.TextInput):
    input_type = "tel"  # a phone's keypad; the browser checks nothing more


class PhoneField(forms.CharField):
    """A telephone number as people write it (+44 (0)20 7946 0000, 0086-29-8849-1234, an extension),
    checked against the numbering plan of its country code and stored in the international format.

    The number must carry its country code: the agreement is read in other countries than the
    applicant's, and nothing else on the form says which country a national number belongs to.
    """

    widget = TelInput(attrs={"autocomplete": "tel"})
    default_error_messages = {
        "invalid": gettext_lazy(
            "Enter a telephone number with + and the country code, e.g. +86 29 8849 1234 or +44 20 7946 0000."
        ),
        "too_long": gettext_lazy(
            "Written in the international format this number is %(length)s characters; the limit is %(limit)s."
        ),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        typed = value.strip()
        if typed.startswith("00"):  # the international call prefix of most countries
            typed = "+" + typed[2:]
        try:
            number = phonenumbers.parse(typed, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if self.max_length and len(formatted) > self.max_length:
            raise forms.ValidationError(
                self.error_messages["too_long"],
                code="too_long",
                params={"length": len(formatted), "limit": self.max_length},
            )
        return formatted


def form_field(spec: Field, *, submitting: bool) -> forms.Field:
    """The form field for `spec`; required only when submitting (a draft may leave anything empty)."""
    required = submitting and spec.required
    common = {"label": spec.label, "required": required, "help_text": spec.help}
    kind = spec.type
    if kind == "date":
        return YearFirstDateField(**common)
    if kind == "email":
        return forms.EmailField(max_length=spec.max_length or 254, **common)
    if kind == "url":
        return forms.URLField(max_length=spec.max_length or 500, assume_scheme="https", **common)
    if kind == "orcid":
        return OrcidField(max_length=40, **common)
    if kind == "phone":
        return PhoneField(max_length=spec.max_length or 40, **common)
    if kind == "country":
        return forms.ChoiceField(choices=[("", "—"), *countries], **common)
    if kind == "choice":
        return forms.ChoiceField(
            choices=[("", "—"), *zip(spec.options, spec.option_labels or spec.options, strict=True)], **common
        )
    if kind == "checkbox":
        return forms.BooleanField(error_messages={"required": gettext_lazy("Tick this box to submit.")}, **common)
    widget = forms.Textarea(attrs={"rows": 5 if spec.name == "research_purpose" else 3}) if spec.multiline else None
    field = forms.CharField(max_length=spec.max_length, widget=widget, **common)
    if spec.max_length:
        field.widget.attrs["maxlength"] = spec.max_length
    if kind == "capitals":
        field.widget.attrs["class"] = "text-uppercase"  # a class: the CSP allows no style=
    return field


# Shown beside a romanised companion in both languages at once: the applicant may read only one.
ROMANISED_HELP = (
    "If you wrote it in Chinese (or another non-Latin script), also write it here in Latin letters, "
    "e.g. NORTHWESTERN POLYTECHNICAL UNIVERSITY. "
    "如上面以中文填写，请在此用拉丁字母（拼音或英文）再填写一次，例如 NORTHWESTERN POLYTECHNICAL UNIVERSITY。"
)
ROMANISED_MISSING = gettext_lazy(
    "Also write this in Latin letters: the agreement needs it in a form everyone can read."
)
ROMANISED_NOT_LATIN = gettext_lazy("Use Latin letters here (pinyin or the English name), not Chinese characters.")


def is_latin(value: str) -> bool:
    """Every letter is a Latin one (accents allowed); digits, spaces and punctuation pass."""
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in value)


def needs_latin_form(value: str) -> bool:
    """Written only in another script: "西北工业大学" needs a Latin form, "李伟 (Li Wei)" carries one."""
    letters = [c for c in value if c.isalpha()]
    return bool(letters) and not any(unicodedata.name(c, "").startswith("LATIN") for c in letters)


def romanised_field(spec: Field, *, submitting: bool) -> forms.Field:
    """The romanised spelling of a capitals field (e.g. a Chinese name in pinyin), stored in capitals too.

    Never required by itself: the form asks for it only beside a value with no Latin letters.
    """
    field = forms.CharField(
        label=spec.romanised_label,
        required=False,
        max_length=spec.max_length,
        help_text=ROMANISED_HELP,
    )
    field.widget.attrs["class"] = "text-uppercase"  # a class: the CSP allows no style=
    return field


def to_stored(value):
    """A cleaned form value as JSON."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def from_stored(spec_type: str, value):
    """A stored JSON value as the form (and the PDF) want it."""
    if spec_type == "date" and isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return value


def display(spec_type: str, value) -> str:
    """A stored value as a person reads it on a page or the PDF."""
    if spec_type == "checkbox":
        return "Yes" if value else "No"
    if spec_type == "country" and value:
        return str(dict(countries).get(value, value))
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class ValuesInvalid(ValueError):
    """Values a request cannot store under its agreement version: {name: problem}, for the caller."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))


def clean_values(*, version, values: dict, complete: bool) -> dict:
    """`values` checked against the version's fields (type, required if `complete`, length, options), as stored:
    in the spelling the form stores (capitals, a telephone number's international format…).

    Raises ValuesInvalid naming every value that fails, or that the agreement does not ask for. The
    checks are the form fields' own (`form_field`), so a service refuses exactly what the form would.
    """
    problems: dict[str, str] = {}
    cleaned = {}
    known = {HF_USERNAME_KEY}
    for f in asked_fields(version):
        checks = [(f.name, form_field(f, submitting=complete), f.type == "checkbox")]
        if f.romanised_name:
            checks.append((f.romanised_name, romanised_field(f, submitting=False), False))
        for name, field, is_bool in checks:
            known.add(name)
            if name not in values and not complete:
                continue
            value = values.get(name, False if is_bool else "")
            if not isinstance(value, bool if is_bool else str):
                problems[name] = "must be true or false" if is_bool else "must be text"
                continue
            try:
                value = to_stored(field.clean(value))
            except forms.ValidationError as error:
                problems[name] = " ".join(error.messages)
                continue
            if f.capitals or name == f.romanised_name:
                value = value.upper()  # as the form stores it; upper-casing may lengthen it ("ß": "SS")
            if f.max_length and len(value) > f.max_length:
                problems[name] = f"has {len(value)} characters in capitals; the limit is {f.max_length}"
            elif name == f.romanised_name and not is_latin(value):
                problems[name] = str(ROMANISED_NOT_LATIN)
            else:
                cleaned[name] = value
    # An empty value of a key the agreement does not ask for is let through: migration 0010 copied
    # every column into `values`, "phone": "" included, for agreements that never asked for one.
    for name in sorted(set(values) - known):
        if values[name] not in ("", None, False):
            problems[name] = "is not a field of this agreement"
    if problems:
        raise ValuesInvalid(problems)
    return {**values, **cleaned}


def stored_values(*, version, values: dict) -> dict:
    """The request's columns that hold `values` (already checked): the values, and the text the
    reviewers' search indexes of them. Every write of `values` writes both, so the search is never stale."""
    return {"values": values, "search_values": search_values(version, values)}
