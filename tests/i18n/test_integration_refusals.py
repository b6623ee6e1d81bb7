"""Bob sets up keys and webhooks from a Chinese page: why one is refused is told in Chinese."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from requests_app.integrations import keys
from requests_app.integrations.models import Webhook

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """LocaleMiddleware leaves the last request's language active in the thread; the next test must not inherit it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_a_loopback_webhook_is_refused_in_chinese(bob, lagper, client):
    client.force_login(bob)
    page = client.post(reverse("webhooks"), {"dataset": lagper.pk, "url": "https://127.0.0.1:8443/hook"}, **ZH)
    assert "127.0.0.1 解析到 127.0.0.1，这是环回地址：本门户不会向该地址发送。" in page.content.decode()
    assert not Webhook.objects.exists()


def test_a_plain_http_webhook_is_refused_in_chinese(bob, lagper, client):
    client.force_login(bob)
    page = client.post(reverse("webhooks"), {"dataset": lagper.pk, "url": "http://example.org/hook"}, **ZH)
    assert "URL 必须以 https:// 开头。" in page.content.decode()


def test_a_key_for_no_dataset_is_refused_in_chinese(bob):
    with translation.override("zh-hans"), pytest.raises(keys.KeyInvalid, match="请至少选择一个您审核的数据集。"):
        keys.api_key_create(user=bob, name="download server", datasets=[], can_decide=False)
