"""An agreement version as its reader reads it: the form's wording in the active language.

`spec` gives the file's own text, which the PDF prints, notes store and fingerprints cover; this
module gives what pages and emails show in the active language: the labels, hints and signer
headings the file translates (AgreementVersion.translations), the portal's own words (the research
purpose, format 1's signer heading) from the catalogue, and each clause's title and heading as the
owner translated them. A clause's text is never replaced: a translation the owner gave is shown
beside it as a courtesy translation, the binding text named. Anything not translated is the file's.
"""

import dataclasses

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from . import languages, spec

# The portal's words in a stored version (spec keeps them in English for the PDF).
_PORTAL_WORDS = {
    spec.LEGACY_SIGNER_TITLE: gettext_noop("The requesting organisation"),
    "Research purpose": gettext_noop("Research purpose"),
    "What the data will be used for.": gettext_noop("What the data will be used for."),
}
assert set(_PORTAL_WORDS) == set(_PORTAL_WORDS.values())
_LATIN_LETTERS = gettext_noop("%(label)s, in Latin letters")
assert spec.legacy_romanised_label("%(label)s") == _LATIN_LETTERS


def _wording(version, part: str) -> dict:
    stored = languages.in_language(getattr(version, "translations", None) or {}, translation.get_language())
    return (stored or {}).get(part, {})


def _field(f: spec.Field, wording: dict, legacy: bool) -> spec.Field:
    if f.name == spec.PURPOSE_KEY and not f.signer:
        return dataclasses.replace(f, label=gettext(f.label), help=gettext(f.help))
    label = wording.get("label") or f.label
    romanised = f.romanised_label
    if romanised:
        # Format 1 names the companion after its field; format 2 may translate it.
        romanised = (
            gettext(_LATIN_LETTERS) % {"label": label} if legacy else wording.get("romanised_label") or romanised
        )
    return dataclasses.replace(
        f,
        label=label,
        help=wording.get("help") or f.help,
        romanised_label=romanised,
        option_labels=tuple(wording.get("options") or f.options),
    )


def fields(version) -> list[spec.Field]:
    """spec.fields(version), worded in the active language."""
    wording, legacy = _wording(version, "fields"), spec.is_format_1(version)
    return [_field(f, wording.get(f.name, {}), legacy) for f in spec.fields(version)]


def asked_fields(version) -> list[spec.Field]:
    """spec.asked_fields(version), worded in the active language."""
    by_name = {f.name: f for f in fields(version)}
    legacy = spec.is_format_1(version)
    return [by_name.get(f.name) or _field(f, {}, legacy) for f in spec.asked_fields(version)]


def value_names(version) -> list[tuple[str, str]]:
    """spec.value_names(version): (name, label) of every stored value, labelled in the active language."""
    return spec.value_names(version, asked=asked_fields(version))


def signers(version) -> list[spec.Signer]:
    """spec.signers(version), headings and fields in the active language."""
    wording = _wording(version, "signers")
    by_name = {f.name: f for f in fields(version)}
    out = []
    for signer in spec.signers(version):
        title = wording.get(signer.key, {}).get("title") or (
            gettext(_PORTAL_WORDS[signer.title]) if spec.is_format_1(version) else signer.title
        )
        out.append(dataclasses.replace(signer, title=title, fields=tuple(by_name[f.name] for f in signer.fields)))
    return out


def who_signs(version) -> str:
    """Who signs, as the file names the signers, in the active language; format 1 agreements (and a
    request without a version) are signed by the institution's representative."""
    if version is None or spec.is_format_1(version):
        return gettext("your institution's authorized representative")
    titles = [s.title for s in signers(version)]
    if len(titles) == 1:
        return titles[0]
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(titles[:-1]), "last": titles[-1]}


def labels_for_notes(version) -> dict[str, str]:
    """Each value's label as the file words it (as notes quote it) to its label in the active language."""
    reader = dict(value_names(version))
    return {label: reader.get(name, label) for name, label in spec.value_names(version)}


def choice_label(f: spec.Field, value) -> str:
    """A stored choice (the file's option) as the reader reads it."""
    if f.type == "choice" and value in f.options:
        return f.option_labels[f.options.index(value)] if f.option_labels else value
    return value


def binding_language(version) -> str:
    """The name, in the active language, of the language whose text binds ("English", "英语")."""
    tag = spec.layout(version).get("language") or "en"
    for code in (tag.lower(), languages.portal_language(tag)):  # "en" is English, not en-gb's British English
        try:
            return str(translation.get_language_info(code)["name_translated"])
        except KeyError:
            continue
    return tag


def clauses(version) -> list[dict]:
    """Each clause as the reader reads it: its number; its title and heading in the active language
    if the owner translated them; `text`, the binding text, always; and `translation`, the owner's
    text in the active language, or "" (none given, or the reader reads the binding language)."""
    language = translation.get_language()
    out = []
    for clause in version.clauses:
        translated = _translation(clause, language)
        shown = {
            **clause,
            "title": translated.get("title") or clause.get("title") or "",
            "heading": translated.get("heading") or clause.get("heading") or "",
            "translation": translated.get("text", ""),
        }
        shown["label"] = spec.clause_label(shown)
        out.append(shown)
    return out


def _translation(clause: dict, language: str | None) -> dict:
    """The owner's {title, heading, text} of `clause` in `language`; {} when none was given."""
    translated = languages.in_language(clause.get("translations") or {}, language)
    if isinstance(translated, str):  # stored before clause translations had titles
        return {"text": translated}
    return translated or {}


def courtesy_translations(clause: dict) -> list[tuple[str, dict]]:
    """Every translation the owner gave of `clause`, as (portal language, {title, heading, text}), in
    the order of settings.LANGUAGES: what the PDF prints after the binding text, whoever reads it."""
    out = []
    for code, _name in settings.LANGUAGES:
        translated = {k: v for k, v in _translation(clause, code).items() if v}
        if translated:
            out.append((code, translated))
    return out
