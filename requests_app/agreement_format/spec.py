"""A stored agreement version read as signers, each with typed fields, in the file's order.

Format 1 files (no `format` key, e.g. datasets/lagper.toml) list up to eight well-known signer
fields and one signatory; their stored JSON is kept exactly as it was loaded (its sha256 depends
on it), and this module supplies the type, help and signer those files could not say.
"""

from dataclasses import dataclass, field

# The request columns a field may be mirrored into, with their types and length limits: the
# reviewers' queue, search, CSV export and emails read these columns whatever the agreement.
WELL_KNOWN = {
    "representative_name": ("text", 200),
    "representative_title": ("text", 200),
    "signing_date": ("date", None),
    "organisation": ("text", 300),
    "address": ("long_text", 600),
    "unit": ("text", 300),
    "email": ("email", 254),
    "phone": ("phone", 40),
}
# Well-known keys without a column: kept with the other typed values and read by name
# (`LicenseRequest.value`). The reviewer's signals compare the email domains with the website's host.
ORGANISATION_WEBSITE_KEY = "organisation_website"
WELL_KNOWN_VALUES = {
    ORGANISATION_WEBSITE_KEY: ("url", 500),
}
PURPOSE_KEY = "research_purpose"
# The Hugging Face account a gated repository's access goes to; asked when the dataset names one.
HF_USERNAME_KEY = "hf_username"
# The request's columns for what the applicant gives: the well-known signer fields and the purpose.
# Exports, personal-data removal and `LicenseRequest.value` read this list, not one of their own.
APPLICANT_COLUMNS = (*WELL_KNOWN, PURPOSE_KEY)
PURPOSE_MAX_LENGTH = 4000

# type: (what it is, for datasets/README.md; its default max_length)
FIELD_TYPES = {
    "text": ("one line of text", 300),
    "capitals": ("one line of text stored in capitals (Unicode-aware); may have a romanised companion", 300),
    "long_text": ("several lines of text", 2000),
    "email": ("an email address", 254),
    "phone": (
        "a telephone number with its country code, written as people write it (+44 (0)20 7946 0000, "
        "0086-29-8849-1234); checked against that country's numbering plan, stored as +44 20 7946 0000",
        40,
    ),
    "date": ("a date, within a year of today", None),
    "country": ("a country, chosen from the ISO 3166 list", None),
    "url": ("a web address (http or https)", 500),
    "orcid": ("an ORCID iD, 0000-0000-0000-0000", None),
    "choice": ("one of `options`", None),
    "checkbox": ("a tick box (`required = true`: must be ticked)", None),
    "signature": ("where the signer signs and dates, on the PDF; not asked on the form", None),
}
FILLED_TYPES = tuple(t for t in FIELD_TYPES if t != "signature")

_LEGACY_TYPES = {"signing_date": "date", "address": "long_text", "email": "email", "phone": "phone"}
LEGACY_SIGNER_TITLE = "The requesting organisation"
ROMANISED_SUFFIX = "_romanised"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "text"
    required: bool = True
    help: str = ""
    max_length: int | None = None
    options: tuple[str, ...] = ()
    # The options as the reader reads them (agreement_format/localised.py); the value stored is the option.
    option_labels: tuple[str, ...] = ()
    romanised_label: str = ""
    signer: str = "signer"
    # Several lines (a long text, or format 1's address, which is also in capitals).
    multiline: bool = False
    # Found by the reviewers' search: the file says `searchable = true`, or it is an email.
    searchable: bool = False

    @property
    def capitals(self) -> bool:
        return self.type == "capitals"

    @property
    def asked(self) -> bool:
        """Whether the form asks for it (a signature is only a place on the PDF)."""
        return self.type != "signature"

    @property
    def romanised_name(self) -> str:
        return f"{self.name}{ROMANISED_SUFFIX}" if self.romanised_label else ""

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "required": self.required, "capitals": self.capitals}


@dataclass(frozen=True)
class Signer:
    key: str
    title: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def signs_at_end(self) -> bool:
        """Signers without an explicit signature field sign after their fields."""
        return not any(f.type == "signature" for f in self.fields)


def layout(version) -> dict:
    return getattr(version, "layout", None) or {}


def is_format_1(version) -> bool:
    return not layout(version).get("format")


def legacy_romanised_label(label: str) -> str:
    return f"{label}, in Latin letters"


def _field(spec: dict, legacy: bool) -> Field:
    if legacy:
        name = spec["name"]
        kind = "capitals" if spec.get("capitals") else _LEGACY_TYPES.get(name, "text")
        return Field(
            name=name,
            label=spec["label"],
            type=kind,
            required=spec.get("required", True),
            max_length=WELL_KNOWN.get(name, ("text", None))[1],
            signer="signer",
            multiline=WELL_KNOWN.get(name, ("text",))[0] == "long_text",
            # A format 1 file says `romanised = true`; the companion is labelled from the field's label.
            romanised_label=legacy_romanised_label(spec["label"]) if spec.get("romanised") else "",
        )
    return Field(
        name=spec["name"],
        label=spec["label"],
        type=spec["type"],
        required=spec["required"],
        help=spec.get("help", ""),
        max_length=spec.get("max_length"),
        options=tuple(spec.get("options", ())),
        romanised_label=spec.get("romanised_label", ""),
        signer=spec["signer"],
        multiline=spec["type"] == "long_text",
        searchable=spec.get("searchable", False) or spec["type"] == "email",
    )


def fields(version) -> list[Field]:
    """Every field the version declares, in the file's order, signatures included."""
    legacy = is_format_1(version)
    return [_field(spec, legacy) for spec in version.signer_fields]


def signers(version) -> list[Signer]:
    """The version's signers in order, each with its fields."""
    all_fields = fields(version)
    if is_format_1(version):
        return [Signer(key="signer", title=LEGACY_SIGNER_TITLE, fields=tuple(all_fields))]
    return [
        Signer(key=s["key"], title=s["title"], fields=tuple(f for f in all_fields if f.signer == s["key"]))
        for s in layout(version)["signers"]
    ]


def countersignature(version) -> dict | None:
    """The owner's signature block ({"title", "signatory"}) when the file asks for one, else None."""
    return layout(version).get("countersignature") or None


def asks_purpose(version) -> bool:
    """Format 1 always asked for the research purpose; a format 2 file says whether it does."""
    return True if is_format_1(version) else bool(layout(version).get("research_purpose"))


def purpose_field(version) -> Field | None:
    if not asks_purpose(version):
        return None
    return Field(
        name=PURPOSE_KEY,
        label="Research purpose",
        type="long_text",
        required=True,
        help="What the data will be used for.",
        max_length=PURPOSE_MAX_LENGTH,
        signer="",
        multiline=True,
    )


def search_values(version, values: dict) -> str:
    """The request's searchable values that have no column of their own, one per line, for the search index.

    The well-known columns are searched already; a searchable field's romanised companion is
    searched with it (a name in Chinese is also found in pinyin).
    """
    names = [
        name
        for f in fields(version)
        if f.searchable and f.name not in WELL_KNOWN
        for name in (f.name, f.romanised_name)
        if name
    ]
    return "\n".join(text for name in names if isinstance(text := values.get(name), str) and text)


def asked_fields(version) -> list[Field]:
    """What the application form asks, in order: the signers' fields, then the purpose if asked."""
    asked = [f for f in fields(version) if f.asked]
    purpose = purpose_field(version)
    return [*asked, purpose] if purpose else asked


def value_names(version, *, asked: list[Field] | None = None) -> list[tuple[str, str]]:
    """(name, label) of every value a request under this version stores, romanised companions too.

    `asked`: the version's asked fields as the caller words them (localised.asked_fields), if not these.
    """
    out = []
    for f in asked_fields(version) if asked is None else asked:
        out.append((f.name, f.label))
        if f.romanised_name:
            out.append((f.romanised_name, f.romanised_label))
    return out


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs: blank lines separate them; single line breaks stay inside one."""
    return [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]


def clause_label(clause: dict) -> str:
    title = clause.get("title") or ""
    return f"{clause['number']}. {title}" if title else f"{clause['number']}."
