"""A signed copy's stored check in the reader's language (documents/check_text.py); no query."""

from django import template

from ..documents import check_text

register = template.Library()


@register.filter
def check_summary(text: str) -> str:
    return check_text.summary(text or "")


@register.filter
def check_page(text: str) -> str:
    return check_text.page_message(text or "")
