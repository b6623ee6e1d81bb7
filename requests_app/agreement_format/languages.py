"""Which languages a dataset file may translate its wording into, and how translations are kept.

A file names a language by its tag (`zh-Hans`, `zh`, `zh-CN`, `en`); it is stored under the code of
the portal language it names (settings.LANGUAGES: `zh-hans`, `en-gb`), so a page looks it up by the
active language. A tag the portal does not offer is refused rather than kept unread: `zh-Hant` or
`zh-TW` (Traditional Chinese) must not pass for Simplified Chinese, nor `ja` sit in a file unseen.
"""

from django.conf import settings
from django.conf.locale import LANG_INFO


def _offered() -> dict[str, str]:
    """Every tag accepted, lower-cased, with the portal language it names."""
    codes = [code for code, _name in settings.LANGUAGES]
    offered = {code: code for code in codes}
    for code in codes:
        primary = code.split("-")[0]
        if sum(c.split("-")[0] == primary for c in codes) == 1:
            offered.setdefault(primary, code)  # `zh` is the one Chinese the portal offers
    for tag, info in LANG_INFO.items():
        fallback = (info.get("fallback") or [None])[0]
        if fallback in offered.values() and tag not in offered:
            offered[tag] = fallback  # `zh-cn` → zh-hans, as Django maps browsers
    return offered


def portal_language(tag: str) -> str | None:
    """The portal language `tag` names (`zh-Hans` → `zh-hans`), or None if it names none."""
    return _offered().get(tag.lower())


def offered_tags() -> str:
    return ", ".join(code for code, _name in settings.LANGUAGES)


def check_tags(translations: dict) -> None:
    """Refuse, naming it, a tag that names no language the portal is offered in."""
    for tag in translations:
        if portal_language(tag) is None:
            raise ValueError(
                f"translations.{tag}: {tag!r} is not a language the portal is offered in ({offered_tags()})"
            )


def binding_problem(tag: str, *, binding: str) -> str:
    """Why `tag` cannot carry a translation of an agreement bound in `binding`; "" if it can."""
    if portal_language(tag) == portal_language(binding):
        return f"{tag!r} is the language of the binding text (`agreement.language`): write that text in the item itself"
    return ""


def portal_wording(*, fields, signers) -> dict:
    """The form's wording by portal language, as AgreementVersion.translations keeps it:
    {language: {"fields": {key: {label, help, …}}, "signers": {key: {title}}}}, empty parts left out."""
    out: dict[str, dict] = {}
    for part, items in (("fields", fields), ("signers", signers)):
        for key, translations in items:
            for tag, translated in translations.items():
                wording = translated if isinstance(translated, dict) else translated.model_dump(exclude_defaults=True)
                out.setdefault(portal_language(tag), {}).setdefault(part, {})[key] = wording
    return out


def in_language(translations: dict, language: str | None):
    """The entry of `translations` for `language` (keys compared without case), or None."""
    if not translations or not language:
        return None
    language = language.lower()
    return next((value for tag, value in translations.items() if tag.lower() == language), None)
