"""One function per email. Each renders emails/<name>_subject.txt, _body.txt and _body.html."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def _send(name: str, *, to: list[str], context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    # Subjects are one line whatever the context holds: a newline would inject a header.
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{name}_body.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{name}_body.html", context), "text/html")
    message.send()
