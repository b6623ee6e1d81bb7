"""Bob sets up keys and webhooks from a Chinese page: why one is refused is told in Chinese."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from requests_app.integrations import keys, webhooks
from requests_app.integrations.delivery_errors import retold
from requests_app.integrations.models import Webhook, WebhookDelivery
from requests_app.review.services import request_reject
from tests import journeys
from tests.integrations.test_webhooks import Resolver

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


def test_a_delivery_refused_while_chinese_is_active_is_stored_in_english_and_told_in_each_readers_language(
    bob, alice, lagper, client, monkeypatch, django_capture_on_commit_callbacks
):
    resolver = Resolver(webhooks.socket.getaddrinfo, "93.184.215.14")
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolver)
    webhooks.webhook_register(user=bob, dataset=lagper, url=f"https://{Resolver.HOST}/portal")
    resolver.address = "127.0.0.1"  # re-pointed after registration: refused when sending
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        request_reject(request=request, reviewer=bob, reason="No.")
    stored = WebhookDelivery.objects.get().last_error
    assert stored == (
        "Refused: hooks.owner.example resolves to 127.0.0.1, a loopback address: the portal does not send there."
    )
    client.force_login(bob)
    chinese = client.get(reverse("webhooks"), **ZH).content.decode()
    assert "已拒绝：hooks.owner.example 解析到 127.0.0.1，这是环回地址：本门户不会向该地址发送。" in chinese
    assert stored in client.get(reverse("webhooks"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize(
    ("stored", "chinese"),
    [
        ("HTTP 503", "HTTP 503"),
        ("No answer: ConnectionRefusedError", "无应答：ConnectionRefusedError"),
        ("Refused: The URL must start with https://.", "已拒绝：URL 必须以 https:// 开头。"),
        (
            "Refused: hooks.owner.example does not resolve to any address.",
            "已拒绝：hooks.owner.example 无法解析到任何地址。",
        ),
        ("Something a former version wrote", "Something a former version wrote"),
    ],
)
def test_each_stored_delivery_error_is_retold_in_chinese_with_its_parts(stored, chinese):
    with translation.override("zh-hans"):
        told = retold(stored)
    assert told == chinese
    assert retold(stored) == stored
