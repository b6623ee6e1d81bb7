"""The one date field of the portal's forms: year first, whatever the browser's language.

A native <input type="date"> shows the browser's own order (mm/dd/yyyy in an en-US browser, in a
Chinese-language page), where the site writes 1 Dec 2026 / 2026年12月1日 and its PDFs 2026-12-01.
This is a text box that reads only year-month-day, the order both languages agree on, as typed in
either: 2026-12-01, 2026/12/1, 2026年12月1日, 20261201, with full-width digits from a Chinese input
method too. Anything else is refused with a message saying how to write it, the text kept as typed.
"""

import datetime
import re
import unicodedata

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Year first: a day and a month in either order can never be read the other way round.
YEAR_FIRST = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})")
HOW_TO_WRITE = _("Year-month-day, for example 2026-12-01.")
NOT_A_DATE = _("Enter the date as year-month-day, for example 2026-12-01.")


class YearFirstDateInput(forms.DateInput):
    def __init__(self, attrs=None):
        shown = {"placeholder": _("YYYY-MM-DD"), "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(attrs={**shown, **(attrs or {})}, format="%Y-%m-%d")


class YearFirstDateField(forms.DateField):
    widget = YearFirstDateInput
    default_error_messages = {"invalid": NOT_A_DATE}

    def __init__(self, *, help_text="", **kwargs):
        # The placeholder goes once something is typed: the help says the order for good.
        shown = format_lazy("{} {}", help_text, HOW_TO_WRITE) if help_text else HOW_TO_WRITE
        super().__init__(help_text=shown, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text:  # spaces only (full-width ones too): nothing typed
            return None
        match = YEAR_FIRST.fullmatch(text)
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month, day = (int(part) for part in match.groups() if part is not None)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
