"""The portal's owner reads the admin in Chinese: its screens name the portal's tables, their columns
and their inlines, and explain their fields, in Simplified Chinese, as Django names its own (users, groups)."""

import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from django.utils import translation

from tests import journeys
from tests.factories import UserFactory
from tests.i18n.test_i18n import ZH
from tests.i18n.test_translations import CATALOGUE

OURS = "requests_app"


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _catalogued() -> set[str]:
    """The English texts the committed catalogue translates (some read the same in Chinese: SHA-256)."""
    return {e.msgid for e in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()}


def _shown(language: str) -> dict[str, str]:
    """What the portal's admin screens call each table, inline table and column, in `language`."""
    shown = {}
    with translation.override(language):
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label != OURS:
                continue
            tables = [model, *(inline.model for inline in model_admin.inlines)]
            for table in tables:
                shown[f"{table.__name__}"] = str(table._meta.verbose_name)
                shown[f"{table.__name__} (plural)"] = str(table._meta.verbose_name_plural)
            for name in model_admin.list_display:
                shown[f"{model.__name__}.{name}"] = str(label_for_field(name, model, model_admin))
            for field in model._meta.get_fields():
                if not field.auto_created and field.name != "search_text":
                    shown[f"{model.__name__}.{field.name} (field)"] = str(field.verbose_name)
                    if field.help_text:
                        shown[f"{model.__name__}.{field.name} (help)"] = str(field.help_text)
    return shown


def test_every_table_and_column_of_the_portals_admin_has_a_chinese_name():
    english, chinese = _shown("en"), _shown("zh-hans")
    catalogued = _catalogued()
    assert len(english) > 200  # the tables, their columns and their fields were all found
    untranslated = [key for key, text in english.items() if chinese[key] == text and text not in catalogued]
    assert untranslated == []


def test_the_admin_index_and_a_changelist_read_in_chinese(client, alice, lagper):
    journeys.submitted(applicant=alice, dataset=lagper)
    client.force_login(UserFactory(username="root", email="root@portal.example", is_superuser=True, is_staff=True))
    index = client.get(reverse("admin:index"), **ZH).content.decode()
    assert "数据集许可门户" in index and "许可申请" in index and "历史事件" in index and "授权代表的确认" in index
    changelist = client.get(reverse("admin:requests_app_licenserequest_changelist"), **ZH).content.decode()
    assert "编号" in changelist and "提交时间" in changelist and "Submitted at" not in changelist
