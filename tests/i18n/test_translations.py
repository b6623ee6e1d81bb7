"""Every string the portal marks for translation has a Simplified Chinese translation in the committed
catalogue, and the compiled catalogue the server reads is that one."""

import re
import shutil
from pathlib import Path

import polib
from django.core.management import call_command

from tests.paths import ROOT

CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _extracted(tmp_path, settings, monkeypatch) -> polib.POFile:
    """What makemessages finds in the templates and the code today, written to a scratch catalogue.

    It runs on a copy of the sources: run in the project it would write into the committed catalogue.
    """
    sources = tmp_path / "src"
    for part in ("templates", "requests_app", "accessportal"):
        shutil.copytree(ROOT / part, sources / part, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(sources)
    call_command("makemessages", locale=["zh_Hans"], no_location=True, verbosity=0)
    return polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_every_marked_string_has_a_chinese_translation(tmp_path, settings, monkeypatch):
    committed = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(CATALOGUE / "django.po"))}
    extracted = _extracted(tmp_path, settings, monkeypatch)
    assert len(extracted) > 250  # the extraction found the templates and the code
    untranslated = [
        e.msgid
        for e in extracted
        if (entry := committed.get((e.msgctxt, e.msgid))) is None or not entry.translated() or entry.obsolete
    ]
    assert untranslated == [], f"{len(untranslated)} strings lack a zh-Hans translation: {untranslated[:20]}"


def test_translations_keep_every_placeholder():
    for entry in polib.pofile(str(CATALOGUE / "django.po")).translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_the_compiled_catalogue_is_the_committed_one():
    source = {
        e.msgid: (e.msgstr or e.msgstr_plural.get(0))
        for e in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()
    }
    compiled = {
        e.msgid: (e.msgstr or e.msgstr_plural.get(0)) for e in polib.mofile(str(CATALOGUE / "django.mo")) if e.msgid
    }
    assert compiled == source, "run: python manage.py compilemessages -l zh_Hans --ignore=.venv"


# --- Nothing user-facing left unmarked -----------------------------------------------------------------
# The test above checks the strings marked for translation; these find the ones nobody marked: text
# in templates outside {% translate %} / {% blocktranslate %}, the user-visible attributes, literal
# arguments of {% include ... with %}, and in Python the messages, form labels and refusals given as
# plain strings or f-strings.

WORDS = re.compile(r"[A-Za-z]{2,}")
# Names and notation that read the same in both languages.
NOT_WORDS = re.compile(r"\b(BibTeX|Hugging Face|sha256|IP|URL|lp_)|python manage\.py verify_audit --digest|/review/")
SHOWN_ATTRIBUTES = re.compile(r'\b(alt|title|placeholder|aria-label|data-confirm|data-label)="([^"]*)"')
LITERAL_ARGUMENT = re.compile(r'(\w+)="([^"]*[A-Za-z]{2,}[^"]*)"')
NOT_SHOWN_ARGUMENTS = {"action", "button"}
BLOCK_ENDS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}


def _untranslated_template_text(path: Path) -> list[str]:
    from django.template.base import Lexer, TokenType

    skip, parts, found = None, [], []
    for token in Lexer(path.read_text(encoding="utf-8")).tokenize():
        contents = token.contents.strip()
        if token.token_type == TokenType.COMMENT:
            continue
        if token.token_type == TokenType.BLOCK:
            name = contents.split()[0] if contents else ""
            if skip:
                skip = None if name == skip else skip
            elif name in BLOCK_ENDS:
                skip = BLOCK_ENDS[name]
            elif name == "include" and " with " in contents:
                found += [
                    m.group(2)
                    for m in LITERAL_ARGUMENT.finditer(contents.split(" with ", 1)[1])
                    if m.group(1) not in NOT_SHOWN_ARGUMENTS
                ]
            parts.append("§")
        elif not skip and token.token_type == TokenType.VAR:
            found += re.findall(r'default:"([^"]*[A-Za-z]{2,}[^"]*)"', contents)
            parts.append("§")
        elif not skip:
            parts.append(token.contents)
    text = "".join(parts)
    if path.suffix == ".html":
        found += [value for _, value in SHOWN_ATTRIBUTES.findall(text) if WORDS.search(value.replace("§", " "))]
        text = re.sub(r"&\w+;|&#\d+;", " ", re.sub(r"<[^>]*>", " ", text, flags=re.S))
    found += [line.strip() for line in text.replace("§", " ").splitlines() if WORDS.search(line)]
    return [text for text in found if WORDS.search(NOT_WORDS.sub(" ", text))]


def test_no_template_shows_text_not_marked_for_translation():
    untranslated = {
        str(path.relative_to(ROOT)): hits
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.is_file()
        if (hits := _untranslated_template_text(path))
    }
    assert untranslated == {}


SHOWN_KEYWORDS = {"label", "help_text", "description", "empty_label", "done"}
REFUSALS = {
    "TransitionNotAllowed",
    "DecisionInvalid",
    "ValidationError",
    "UploadRefused",
    "AcceptanceIncomplete",
    "PdfRefused",
    "WebhookInvalid",
    "KeyInvalid",
}
MESSAGES = {"success", "error", "info", "warning", "message_user", "add_error", "add_message"}
SENTENCE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}|^[A-Z][a-z]+$")
# The API speaks English to programs (its schema and errors); model help texts are the admin's
# field hints; an agreement's own field labels are the dataset's data, in the agreement's language.
NOT_USER_FACING = {"migrations", "management"}
NOT_USER_FACING_FILES = {"integrations/api.py", "agreement_format/spec.py"}


def _literal(node) -> str | None:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp | ast.IfExp):
        parts = [
            _literal(n) for n in ((node.left, node.right) if isinstance(node, ast.BinOp) else (node.body, node.orelse))
        ]
        return "".join(p for p in parts if p) or None
    return None


def _untranslated_python_messages(path: Path) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        receiver = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
        shown = []
        if name in REFUSALS:
            shown += node.args[:1]
        if name in MESSAGES and receiver not in ("logger", "logging"):
            shown += node.args[:3]
        for keyword in node.keywords:
            if keyword.arg in SHOWN_KEYWORDS:
                shown.append(keyword.value)
            elif keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                shown += keyword.value.values
        found += [f"{path.name}:{n.lineno}: {text}" for n in shown if (text := _literal(n)) and SENTENCE.search(text)]
    return found


def test_no_python_message_or_label_is_left_unmarked():
    package = ROOT / "requests_app"
    untranslated = [
        hit
        for path in sorted(package.rglob("*.py"))
        if not NOT_USER_FACING & set(path.relative_to(package).parts)
        and str(path.relative_to(package)) not in NOT_USER_FACING_FILES
        and path.name != "models.py"
        for hit in _untranslated_python_messages(path)
    ]
    assert untranslated == []
