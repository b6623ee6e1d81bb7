"""Agreement text as the owner wrote it: paragraphs kept, clause labels with or without a title."""

from django import template

from ..agreement_format import spec

register = template.Library()


@register.filter
def paragraphs(text: str) -> list[str]:
    return spec.paragraphs(text)


@register.filter
def clause_label(clause: dict) -> str:
    return spec.clause_label(clause)


@register.filter
def agreement_layout(version) -> dict:
    return spec.layout(version)
