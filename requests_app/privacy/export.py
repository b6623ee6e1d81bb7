"""Everything the portal holds about one applicant, as one ZIP: data.json, the issued PDFs, the signed copies."""

import io
import json
import zipfile

from django.core.serializers.json import DjangoJSONEncoder

from .. import clock
from ..agreement_format.spec import APPLICANT_COLUMNS

REQUEST_FIELDS = (
    "reference",
    "status",
    *APPLICANT_COLUMNS,
    "created_at",
    "submitted_at",
    "decided_at",
    "decision_reason",
    "approved_at",
    "expires_at",
    "personal_data_removed_at",
)


def _requests(user):
    from ..models import LicenseRequest

    return (
        LicenseRequest.objects.filter(applicant=user)
        .select_related("dataset", "agreement_version")
        .prefetch_related(
            "events",
            "clause_acceptances",
            "issued_agreements",
            "signed_copies__files",
            "publications",
            "representative_confirmations",
            "renewals",
        )
        .order_by("created_at", "pk")
    )


def _request_data(r) -> dict:
    return {
        **{field: getattr(r, field) for field in REQUEST_FIELDS},
        # Every value typed in the form, by the agreement's field names (Latin spellings included).
        "values": r.values,
        "dataset": r.dataset.name,
        "agreement_version": r.agreement_version.label,
        "history": [
            {"at": e.at, "from": e.from_status, "to": e.to_status, "note": e.note, "ip": e.ip} for e in r.events.all()
        ],
        "clauses_accepted": [
            {
                "clause": c.clause_number,
                "text_sha256": c.text_sha256,
                "at": c.accepted_at,
                "ip": c.ip,
                "user_agent": c.user_agent,
            }
            for c in r.clause_acceptances.all()
        ],
        "issued_agreements": [
            {
                "issue": a.issue,
                "issued_at": a.issued_at,
                "sha256": a.sha256,
                "file": f"agreements/{a.filename}" if a.file else None,
            }
            for a in r.issued_agreements.all()
        ],
        "signed_copies": [
            {
                "uploaded_at": c.uploaded_at,
                "check": c.kind,
                "summary": c.summary,
                "countersigned_by_owner": c.countersigned,
                "files": [f"signed-copies/{r.reference}/{f.position}-{f.original_name}" for f in c.files.all()],
            }
            for c in r.signed_copies.all()
        ],
        "representative_confirmations": [
            {"email": c.email, "sent_at": c.sent_at, "answer": c.answer, "answered_at": c.answered_at}
            for c in r.representative_confirmations.all()
        ],
        "renewals": [
            {
                "requested_at": n.requested_at,
                "details": n.fields,
                "changed": n.changed,
                "granted_at": n.granted_at,
                "granted_until": n.granted_until,
                "refused_at": n.refused_at,
                "refusal_reason": n.refusal_reason,
            }
            for n in r.renewals.all()
        ],
        "publications": [
            {"title": p.title, "venue": p.venue, "year": p.year, "link": p.link, "reported_at": p.reported_at}
            for p in r.publications.all()
        ],
    }


def personal_data_zip(user) -> bytes:
    from ..i18n.selectors import language_of

    requests = list(_requests(user))
    data = {
        "exported_at": clock.now(),
        "account": {
            "email": user.email,
            "joined": user.date_joined,
            "last_login": user.last_login,
            "language": language_of(user=user),
        },
        "requests": [_request_data(r) for r in requests],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for r in requests:
            for issued in r.issued_agreements.all():
                if issued.file:
                    archive.writestr(f"agreements/{issued.filename}", issued.pdf)
            for copy in r.signed_copies.all():
                for f in copy.files.all():
                    with f.file.open("rb") as stored:
                        archive.writestr(f"signed-copies/{r.reference}/{f.position}-{f.original_name}", stored.read())
    return buffer.getvalue()
