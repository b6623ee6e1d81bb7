"""The review queue's table rows, rendered in Python: the template language spent most of the page's time
on 50 rows (an include, a `{% url %}`, dates and a dozen translations each). Every label is translated
once per page, the decision page's URL reversed once, each day's date formatted once; the HTML is that of
templates/review/queue.html's table, each status's badge as workflow.badge_class colours it.
"""

from html import escape  # what django.utils.html.escape returns, without its lazy-text wrapper: ~0.3 ms a page

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..models import LicenseRequest
from ..workflow import badge_class
from .selectors import QueueRow

Status = LicenseRequest.Status

_REFERENCE = "REFERENCE-0000-000000"  # stands in for each row's reference in the reversed URL


def _date(value, cache: dict) -> str:
    """`value` as the template's `|date` shows it: in the current time zone, DATE_FORMAT; "" for None.

    DATE_FORMAT shows only the day, so each day is formatted once, however many rows fall on it.
    """
    if value is None:
        return ""
    day = timezone.localtime(value).date()
    if day not in cache:
        cache[day] = formats.date_format(day)
    return cache[day]


def queue_rows(rows: list[QueueRow], *, user, show_dataset: bool) -> SafeString:
    """The `<tr>` of each row (selectors.queue_page's, marked by mark_waiting), as one string of HTML."""
    label = {
        name: escape(_(text))
        for name, text in (
            ("reference", "Reference"),
            ("dataset", "Dataset"),
            ("representative", "Representative"),
            ("organisation", "Organisation"),
            ("applicant", "Applicant"),
            ("status", "Status"),
            ("signed_copy", "Signed copy"),
            ("handled_by", "Handled by"),
            ("submitted", "Submitted"),
            ("waiting", "Waiting"),
        )
    }
    resubmitted = f' <span class="badge text-bg-warning resubmitted-flag">{escape(_("resubmitted"))}</span>'
    checks = {
        "scan_qr_incomplete": f'<span class="badge text-bg-danger">{escape(_("check incomplete"))}</span>',
        "digital_signature_verified": f'<span class="badge text-bg-success">{escape(_("signature verified"))}</span>',
    }
    scan_checked = f'<span class="badge text-bg-success">{escape(_("scan checked"))}</span>'
    you = f"<strong>{escape(_('you'))}</strong>"
    unassigned = f'<span class="text-muted">{escape(_("unassigned"))}</span>'
    overdue = f" <strong>{escape(_('overdue'))}</strong>"
    waiting = _("%(days)s d / %(promised)s working d promised")
    decided = _("decided %(date)s")
    statuses = {value: escape(str(text)) for value, text in Status.choices}  # str: translated now
    url_head, _ref, url_tail = reverse("review:request", args=[_REFERENCE]).partition(_REFERENCE)
    dates: dict = {}
    html = []
    for row in rows:
        reference = escape(row.reference)
        check = checks.get(row.check_kind, scan_checked) if row.check_kind else "—"
        if row.assignee_id is None:
            assignee = unassigned
        elif row.assignee_id == user.pk:
            assignee = you
        else:
            assignee = escape(row.assignee_name)
        if row.waiting_days is not None:
            wait = escape(waiting % {"days": row.waiting_days, "promised": row.dataset.turnaround_days})
            wait += overdue if row.overdue else ""
        else:
            wait = escape(decided % {"date": _date(row.decided_at, dates) or "—"})
        html.append(
            f'<tr class="queue-row{" table-danger" if row.overdue else ""}">'
            f'<td data-label="{label["reference"]}"><a href="{url_head}{reference}{url_tail}">{reference}</a>'
            f"{resubmitted if row.was_resubmitted else ''}</td>"
            + (f'<td data-label="{label["dataset"]}">{escape(row.dataset.name)}</td>' if show_dataset else "")
            + f'<td data-label="{label["representative"]}">{escape(row.representative_name or "—")}</td>'
            f'<td data-label="{label["organisation"]}">{escape(row.organisation or "—")}</td>'
            f'<td data-label="{label["applicant"]}" class="text-break">{escape(row.applicant_email)}</td>'
            f'<td data-label="{label["status"]}"><span class="badge {badge_class(row.status)}">'
            f"{statuses.get(row.status) or escape(row.status)}</span></td>"
            f'<td data-label="{label["signed_copy"]}" class="check-result">{check}</td>'
            f'<td data-label="{label["handled_by"]}" class="assignee">{assignee}</td>'
            f'<td data-label="{label["submitted"]}">{_date(row.submitted_at, dates)}</td>'
            f'<td data-label="{label["waiting"]}">{wait}</td></tr>\n'
        )
    return mark_safe("".join(html))  # every value above is escaped
