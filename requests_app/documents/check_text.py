"""A signed copy's check, retold in the reader's language.

The check's summary and per-page messages are stored as the checker wrote them, in English (a
reviewer's record, quoted in the request's hash-chained history). Each form the checker writes,
now or in the past, is matched here whole, and retold with its parts (issue and page numbers, the
certificate's signer, the representative's name) as stored. A text that matches none, such as
"[removed]" after the personal data went, is shown as stored. No query; tests/documents/test_check_text.py
builds every form from the checker itself, so a change to its wording fails there.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

_IDENTITY = {
    "identity verified by the trust store": gettext_noop("identity verified by the trust store"),
    "identity not verified (certificate not in the trust store)": gettext_noop(
        "identity not verified (certificate not in the trust store)"
    ),
}
_WHERE = {
    "at the top": gettext_noop("at the top"),
    "in the middle": gettext_noop("in the middle"),
    "at the bottom": gettext_noop("at the bottom"),
}
_IDENTITIES = "|".join(re.escape(i) for i in _IDENTITY)
_SAME_SIGNER = re.compile(r"signer (?P<signer>.+) is the representative named in the form\Z", re.S)
_OTHER_SIGNER = re.compile(
    r"signer (?P<signer>.+) differs from the representative named in the form \((?P<representative>.*)\)\Z", re.S
)

_DIGITAL_SUMMARY = re.compile(
    r"integrity verified: signed copy of the issued agreement \(issue (?P<issue>\d+); signed by (?P<signer>.+?); "
    rf"no change but the signature; (?P<identity>{_IDENTITIES}); (?P<name_check>signer .+)\)\Z",
    re.S,
)
_DIGITAL_SUMMARY_UNCHECKED = re.compile(  # before certificates were checked against a trust store
    r"integrity verified: signed copy of the issued agreement \(issue (?P<issue>\d+); signed by (?P<signer>.+); "
    r"certificate not checked against a trust list\)\Z",
    re.S,
)
_SCAN_SUMMARY = re.compile(
    r"scan checked: (?:the page matches|all (?P<count>\d+) pages match) the agreement as issued \(issue (?P<issue>\d+)\), signed"
    r"(?P<countersigned> and countersigned)?"
    r"(?:; small differences on (?P<pages>.+?) (?:for the reviewer to look at|are outlined for the reviewer))?\Z"
)
_SCAN_SUMMARY_CODES = re.compile(
    r"scan checked: all (?P<count>\d+) pages carry the code of this agreement \(issue (?P<issue>\d+)\)\Z"
)
_SCAN_SUMMARY_SOME_CODES = re.compile(
    r"scan: (?P<matched>\d+) of (?P<total>\d+) pages carry this agreement's code; (?P<problems>.+)\Z", re.S
)

_DIGITAL_PAGE = re.compile(
    rf"digital signature: intact, no change after issue but the signature; (?P<identity>{_IDENTITIES}); (?P<name_check>signer .+)\Z",
    re.S,
)
_SCAN_PAGE = re.compile(
    r"page (?P<number>\d+) of (?P<total>\d+): matches the issued page(?P<signed>, signed)?(?P<countersigned> and countersigned)?"
    r"(?:; for the reviewer to look at: (?P<spots>.+) of the page|; (?P<count>\d+) small difference\(s\) outlined)?\Z"
)
_SPOT = re.compile(rf"ink (?P<what>missing|added) (?P<where>{'|'.join(_WHERE)})\Z")
_PAGE_CODE = re.compile(r"page (?P<number>\d+) of (?P<total>\d+): code of (?P<reference>\S+), issue (?P<issue>\d+)\Z")
_PAGE_NO_CODE = re.compile(r"page (?P<number>\d+) of (?P<total>\d+): no code found\Z")
_PAGE_LIST = re.compile(r"(?:page (?P<one>\d+)|pages (?P<some>\d+(?:, \d+)*) and (?P<last>\d+))\Z")


def _pages(text: str) -> str | None:
    match = _PAGE_LIST.match(text)
    if match is None:
        return None
    if match["one"]:
        return _("page %(number)s") % {"number": match["one"]}
    return _("pages %(numbers)s and %(last)s") % {"numbers": match["some"], "last": match["last"]}


def _name_check(text: str) -> str | None:
    if match := _SAME_SIGNER.match(text):
        return _("signer %(signer)s is the representative named in the form") % match.groupdict()
    if match := _OTHER_SIGNER.match(text):
        return (
            _("signer %(signer)s differs from the representative named in the form (%(representative)s)")
            % match.groupdict()
        )
    return None


def _digital(match: re.Match, msgid: str) -> str | None:
    name_check = _name_check(match["name_check"])
    if name_check is None:
        return None
    parts = {**match.groupdict(), "identity": _(_IDENTITY[match["identity"]]), "name_check": name_check}
    return _(msgid) % parts


def _spots(text: str) -> str | None:
    told = []
    for spot in text.split(", "):
        match = _SPOT.match(spot)
        if match is None:
            return None
        where = _(_WHERE[match["where"]])
        told.append(
            _("ink missing %(where)s") % {"where": where}
            if match["what"] == "missing"
            else _("ink added %(where)s") % {"where": where}
        )
    return pgettext("between items of a list", ", ").join(told)


def summary(text: str) -> str:
    """A stored check summary in the active language; as stored if it is not one the checker writes."""
    if match := _DIGITAL_SUMMARY.match(text):
        return (
            _digital(
                match,
                gettext_noop(
                    "integrity verified: signed copy of the issued agreement (issue %(issue)s; signed by %(signer)s; "
                    "no change but the signature; %(identity)s; %(name_check)s)"
                ),
            )
            or text
        )
    if match := _DIGITAL_SUMMARY_UNCHECKED.match(text):
        return (
            _(
                "integrity verified: signed copy of the issued agreement (issue %(issue)s; signed by %(signer)s; "
                "certificate not checked against a trust list)"
            )
            % match.groupdict()
        )
    if match := _SCAN_SUMMARY.match(text):
        told = (
            _("scan checked: all %(count)s pages match the agreement as issued (issue %(issue)s), signed")
            % match.groupdict()
            if match["count"]
            else _("scan checked: the page matches the agreement as issued (issue %(issue)s), signed")
            % match.groupdict()
        )
        if match["countersigned"]:
            told += _(" and countersigned")
        if match["pages"]:
            pages = _pages(match["pages"])
            if pages is None:
                return text
            told += _("; small differences on %(pages)s for the reviewer to look at") % {"pages": pages}
        return told
    if match := _SCAN_SUMMARY_CODES.match(text):
        return (
            _("scan checked: all %(count)s pages carry the code of this agreement (issue %(issue)s)")
            % match.groupdict()
        )
    if match := _SCAN_SUMMARY_SOME_CODES.match(text):
        problems = [page_message(p) for p in match["problems"].split("; ")]
        return _("scan: %(matched)s of %(total)s pages carry this agreement's code; %(problems)s") % {
            **match.groupdict(),
            "problems": pgettext("between clauses of a sentence", "; ").join(problems),
        }
    return text


def page_message(text: str) -> str:
    """A stored per-page message in the active language; as stored if it is not one the checker writes."""
    if match := _SCAN_PAGE.match(text):
        told = (
            _("page %(number)s of %(total)s: matches the issued page, signed")
            if match["signed"]
            else _("page %(number)s of %(total)s: matches the issued page")
        ) % match.groupdict()
        if match["countersigned"]:
            told += _(" and countersigned")
        if match["spots"]:
            spots = _spots(match["spots"])
            if spots is None:
                return text
            told += _("; for the reviewer to look at: %(spots)s of the page") % {"spots": spots}
        elif match["count"]:
            told += _("; %(count)s small difference(s) outlined") % match.groupdict()
        return told
    if match := _DIGITAL_PAGE.match(text):
        return (
            _digital(
                match,
                gettext_noop(
                    "digital signature: intact, no change after issue but the signature; %(identity)s; %(name_check)s"
                ),
            )
            or text
        )
    if match := _PAGE_CODE.match(text):
        return _("page %(number)s of %(total)s: code of %(reference)s, issue %(issue)s") % match.groupdict()
    if match := _PAGE_NO_CODE.match(text):
        return _("page %(number)s of %(total)s: no code found") % match.groupdict()
    return text
