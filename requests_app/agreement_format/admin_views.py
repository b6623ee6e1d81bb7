"""The admin's way to publish a dataset file: upload, see the form, the PDF and what changed, publish.

What is published is exactly what was previewed: the publish step re-reads the same file text and
refuses it if its fingerprint is not the one shown.
"""

import base64
import hashlib
import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Dataset
from . import diff, preview
from .loading import DatasetFileError, load_dataset_file, parse_dataset_file

MAX_FILE_BYTES = 1_000_000


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Dataset file (.toml)"), help_text=gettext_lazy("Format: datasets/README.md.")
    )


class PublishForm(forms.Form):
    content = forms.CharField(widget=forms.HiddenInput, strip=False)
    content_sha256 = forms.CharField(widget=forms.HiddenInput)
    licensees_must_reaccept = forms.BooleanField(
        required=False,
        label=gettext_lazy("Holders of an active licence must accept the changed clauses"),
        help_text=gettext_lazy(
            "Preset from the file's agreement.licensees_must_reaccept; applies only to a changed wording."
        ),
    )


def _parse_text(text: str, name: str):
    """Parse file text through a temporary file, reporting errors under the uploaded name."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            return parse_dataset_file(path), None
        except DatasetFileError as error:
            return None, str(error).replace(str(path), name)


def _publish_text(text: str, name: str, *, licensees_must_reaccept: bool):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        return load_dataset_file(path, licensees_must_reaccept=licensees_must_reaccept)


def publish_view(model_admin, request):
    if not model_admin.has_add_permission(request) or not request.user.has_perm("requests_app.add_agreementversion"):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Publish a dataset file"),
        "opts": Dataset._meta,
    }
    if request.method == "POST" and "publish" in request.POST:
        form = PublishForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["content"]
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != form.cleaned_data["content_sha256"]:
                messages.error(request, _("The file changed after its preview; upload it again."))
                return redirect("admin:requests_app_dataset_publish")
            try:
                result = _publish_text(
                    text,
                    "uploaded.toml",
                    licensees_must_reaccept=form.cleaned_data["licensees_must_reaccept"],
                )
            except DatasetFileError as error:
                messages.error(request, str(error))
                return redirect("admin:requests_app_dataset_publish")
            done = (
                _("%(name)s: agreement version %(label)s published as a new version.")
                if result.version_created
                else _("%(name)s: agreement version %(label)s unchanged; its labels in other languages updated.")
                if result.translations_changed
                else _("%(name)s: agreement version %(label)s unchanged.")
            )
            messages.success(request, done % {"name": result.dataset.name, "label": result.agreement_version.label})
            return redirect(reverse("admin:requests_app_dataset_change", args=[result.dataset.pk]))
    upload = UploadForm(request.POST or None, request.FILES or None)
    context["upload"] = upload
    if request.method == "POST" and upload.is_valid():
        uploaded = upload.cleaned_data["file"]
        raw = uploaded.read(MAX_FILE_BYTES + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if len(raw) > MAX_FILE_BYTES or text is None:
            context["error"] = f"{uploaded.name}: must be UTF-8 text of at most {MAX_FILE_BYTES} bytes."
        else:
            parsed, error = _parse_text(text, Path(uploaded.name).name or "uploaded.toml")
            context["error"] = error
            if parsed is not None:
                shown = preview.render(*preview.build(*parsed))
                existing = Dataset.objects.filter(slug=shown.dataset.slug).first()
                current = existing.current_agreement if existing else None
                context.update(
                    preview=shown,
                    pdf_base64=base64.b64encode(shown.pdf).decode("ascii"),
                    current=current,
                    wording_changed=current is None or current.sha256 != shown.version.sha256,
                    translations_changed=current is not None and current.translations != shown.version.translations,
                    changes=diff.clause_changes(current.clauses, shown.version.clauses) if current else None,
                    publish=PublishForm(
                        initial={
                            "content": text,
                            "content_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                            "licensees_must_reaccept": parsed[1].get("licensees_must_reaccept", False),
                        }
                    ),
                )
    return TemplateResponse(request, "admin/requests_app/dataset_publish.html", context)
