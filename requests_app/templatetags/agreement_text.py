"""Agreement text as the owner wrote it: paragraphs kept, clause labels with or without a title,
titles and headings in the reader's language where the owner translated them (no query)."""

from django import template

from ..agreement_format import localised, spec

register = template.Library()


@register.filter
def paragraphs(text: str) -> list[str]:
    return spec.paragraphs(text)


@register.filter
def clause_label(clause: dict) -> str:
    return spec.clause_label(clause)


@register.filter
def clauses_as_read(version) -> list[dict]:
    """The clauses in the reader's language: see agreement_format.localised.clauses."""
    return localised.clauses(version)


@register.filter
def binding_language(version) -> str:
    return localised.binding_language(version)


@register.filter
def agreement_layout(version) -> dict:
    return spec.layout(version)


@register.filter
def who_signs(version) -> str:
    return localised.who_signs(version)
