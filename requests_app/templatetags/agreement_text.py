"""Agreement text as the owner wrote it: paragraphs kept, clause labels with or without a title,
titles and headings in the reader's language where the owner translated them (no query)."""

from django import template
from django.utils.translation import gettext as _

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
    """Who signs, as the file names the signers; format 1 agreements are signed by a representative."""
    if version is None or spec.is_format_1(version):
        return _("your institution's authorized representative")
    titles = [s.title for s in localised.signers(version)]
    if len(titles) == 1:
        return titles[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(titles[:-1]), "last": titles[-1]}
