"""`|moment`: a moment as readers of each language write it, with its time zone (i18n/dates.py)."""

from django import template

from ..i18n import dates

register = template.Library()


@register.filter
def moment(value) -> str:
    return dates.moment(value) if value else ""
