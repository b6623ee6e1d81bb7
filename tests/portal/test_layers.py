"""Services and selectors read the same way everywhere: keyword arguments only (STYLE.md)."""

import ast

from tests.portal.test_workflow import app_modules


def _positional_parameters(function: ast.FunctionDef) -> list[str]:
    return [argument.arg for argument in (*function.args.posonlyargs, *function.args.args)]


def test_services_and_selectors_take_keyword_arguments_only():
    positional = [
        f"{module}.{node.name}({', '.join(_positional_parameters(node))})"
        for module, tree in app_modules()
        if module.rsplit(".", 1)[-1] in {"services", "selectors"}
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and _positional_parameters(node)
    ]
    assert positional == []


def test_the_keyword_check_sees_a_positional_parameter():
    (function,) = ast.parse("def request_approve(request, *, reviewer): pass").body
    assert isinstance(function, ast.FunctionDef)
    assert _positional_parameters(function) == ["request"]
