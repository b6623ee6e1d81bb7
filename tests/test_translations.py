"""Every string the portal marks for translation has a Simplified Chinese translation in the committed
catalogue, and the compiled catalogue the server reads is that one."""

import re
import shutil
from pathlib import Path

import polib
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
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
        e.msgid for e in extracted
        if (entry := committed.get((e.msgctxt, e.msgid))) is None or not entry.translated() or entry.obsolete
    ]
    assert untranslated == [], f"{len(untranslated)} strings lack a zh-Hans translation: {untranslated[:20]}"


def test_translations_keep_every_placeholder():
    for entry in polib.pofile(str(CATALOGUE / "django.po")).translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_the_compiled_catalogue_is_the_committed_one():
    source = {e.msgid: (e.msgstr or e.msgstr_plural.get(0)) for e in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()}
    compiled = {e.msgid: (e.msgstr or e.msgstr_plural.get(0)) for e in polib.mofile(str(CATALOGUE / "django.mo")) if e.msgid}
    assert compiled == source, "run: python manage.py compilemessages -l zh_Hans --ignore=.venv"
