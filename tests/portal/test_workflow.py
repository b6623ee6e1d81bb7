"""The state machine is declared once, drawn in the README from that declaration, and is the only writer of status."""

import ast

import pytest
from django.utils import translation
from django.utils.module_loading import import_string

from requests_app import clock, workflow
from requests_app.applications.services import request_expire, request_withdraw
from requests_app.models import LicenseRequest, RequestEvent
from requests_app.review.services import request_approve
from tests import journeys
from tests.paths import ROOT


def test_the_readme_draws_the_declared_state_machine():
    readme = (ROOT / "README.md").read_text()
    assert f"```mermaid\n{workflow.mermaid()}\n```" in readme


def test_every_status_is_reachable_from_a_draft():
    reached, frontier = {workflow.INITIAL}, [workflow.INITIAL]
    while frontier:
        status = frontier.pop()
        for move in workflow.TRANSITIONS:
            if move.allows(status) and move.target not in reached:
                reached.add(move.target)
                frontier.append(move.target)
    assert reached == set(workflow.Status.values)


def test_every_transition_names_a_service_that_exists():
    for move in workflow.TRANSITIONS:
        assert callable(import_string(move.service_path)), move.service_path


def app_modules():
    """Every module of the app but its migrations, as (dotted name under requests_app, parsed tree)."""
    app = ROOT / "requests_app"
    for path in sorted(app.rglob("*.py")):
        if "migrations" not in path.parts:
            yield ".".join(path.relative_to(app).with_suffix("").parts), ast.parse(path.read_text())


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _names_status(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "status"


def _writes_status(node: ast.AST) -> bool:
    """`.update(status=...)`, `bulk_update(rows, ["status", ...])`, `setattr(x, "status", ...)`, `x.status = ...`."""
    if isinstance(node, ast.Call):
        name = _called_name(node)
        if name == "update":
            return any(keyword.arg == "status" for keyword in node.keywords)
        if name == "bulk_update":
            fields = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "fields")]
            return any(_names_status(item) for field in fields for item in ast.walk(field))
        if name == "setattr":
            return len(node.args) > 1 and _names_status(node.args[1])
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return any(
        isinstance(target, ast.Attribute) and target.attr == "status"
        for assigned in targets
        if assigned is not None
        for target in ast.walk(assigned)
    )


def status_writes(tree: ast.AST) -> list[int]:
    """The lines of `tree` that write a request's status (see _writes_status)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.Call, ast.Assign, ast.AugAssign, ast.AnnAssign)) and _writes_status(node)
    ]


def test_nothing_but_the_workflow_writes_a_status():
    writers = [
        f"{module}:{line}" for module, tree in app_modules() if module != "workflow" for line in status_writes(tree)
    ]
    assert writers == []


def test_the_status_write_check_sees_each_way_of_writing_it():
    ways = [
        "LicenseRequest.objects.filter(pk=1).update(status='approved')",
        "LicenseRequest.objects.bulk_update(rows, ['updated_at', 'status'])",
        "LicenseRequest.objects.bulk_update(rows, fields=('status',))",
        "setattr(request, 'status', 'approved')",
        "request.status = 'approved'",
        "request.status, request.updated_at = 'approved', now",
    ]
    for source in ways:
        assert any(_writes_status(node) for node in ast.walk(ast.parse(source))), source
    assert not any(_writes_status(node) for node in ast.walk(ast.parse("x.filter(status='a').update(note='')")))


def test_only_the_declared_services_make_a_transition():
    """A move is made by the service the declaration names, in its module, or a private helper there."""
    services = {(move.module, move.service) for move in workflow.TRANSITIONS}
    modules = {module for module, _service in services}
    callers = []
    for module, tree in app_modules():
        if module == "workflow":
            continue
        for function in tree.body:
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and _called_name(node) in {"perform", "_transition"}:
                    name = getattr(function, "name", "")
                    declared = (module, name) in services or (module in modules and name.startswith("_"))
                    if not declared:
                        callers.append(f"{module}.{name or '<module>'}:{node.lineno}")
    assert callers == []


def test_a_stranger_cannot_make_the_applicants_move(alice, lagper, charlie):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    with pytest.raises(workflow.TransitionNotAllowed, match="Only the applicant"):
        request_withdraw(request=request, user=charlie)
    assert LicenseRequest.objects.get(pk=request.pk).status == workflow.Status.AWAITING_SIGNATURE


def test_someone_who_does_not_review_the_dataset_cannot_decide(alice, lagper, charlie):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with pytest.raises(workflow.TransitionNotAllowed, match="Only a reviewer of the dataset"):
        request_approve(request=request, reviewer=charlie, expires_at=None)
    assert LicenseRequest.objects.get(pk=request.pk).status == workflow.Status.UNDER_REVIEW


def test_a_licence_is_expired_by_the_portal_not_by_a_person(alice, lagper, bob):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    request_expire(request=licence, now=clock.now())
    expiry = licence.events.get(to_status=workflow.Status.EXPIRED)
    assert (expiry.actor, expiry.transition) == (None, "request_expire")


def test_an_events_statuses_read_as_their_labels_in_the_active_language():
    event = RequestEvent(from_status="", to_status=workflow.Status.UNDER_REVIEW)
    with translation.override("zh-hans"):
        shown = (event.get_from_status_display(), event.get_to_status_display())
    assert shown == ("", "审核中")
    assert RequestEvent(to_status="retired").get_to_status_display() == "retired"
