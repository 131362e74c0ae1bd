"""Group robots and SMS: real messages to a loopback stand-in of WeCom and DingTalk, the rate limit on
the harness's real Redis, merging bursts, and the SMS provider interface."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import ClassVar

import pytest
import redis
from django.conf import settings as django_settings

from reminders.robots import (
    MAX_MARKDOWN_BYTES,
    Robot,
    RobotError,
    RobotRateLimiter,
    markdown_content,
    merge_messages,
    send_markdown,
)
from reminders.sms import LoggingSmsBackend, SmsError, get_backend, send_sms
from tests.robot_server import RobotServer

TITLE = "隐患整改提醒：2 条待办"
TEXT = "- XQ-2026-0001 配电箱未接地（今天到期）\n- XQ-2026-0002 粉尘涉爆场所未设置泄爆装置（已逾期 3 天）"


@pytest.fixture
def server():
    with RobotServer() as running:
        yield running


@pytest.fixture
def redis_client():
    url = getattr(django_settings, "REDIS_URL", "") or os.environ.get("REDIS_URL", "")
    assert url, "needs Redis: run under `python -m tests.harness`"
    client = redis.Redis.from_url(url)
    yield client
    client.close()


def sent_content(server: RobotServer) -> str:
    (message,) = server.received
    markdown = message.body["markdown"]
    return markdown["content"] if message.kind == "wecom" else markdown["text"]


# --- WeCom and DingTalk formats ------------------------------------------------------------------


def test_wecom_markdown_is_accepted(server):
    send_markdown(server.wecom_robot(), title=TITLE, text=TEXT)

    (message,) = server.received
    assert message.body == {"msgtype": "markdown", "markdown": {"content": f"### {TITLE}\n{TEXT}"}}


def test_signed_dingtalk_markdown_is_accepted(server):
    send_markdown(server.dingtalk_robot(secret="SEC0123456789abcdef"), title=TITLE, text=TEXT)

    (message,) = server.received
    assert message.body == {"msgtype": "markdown", "markdown": {"title": TITLE, "text": f"### {TITLE}\n{TEXT}"}}
    assert abs(int(message.query["timestamp"]) - time.time() * 1000) < 60_000


def test_unsigned_dingtalk_robot_sends_no_signature(server):
    send_markdown(server.dingtalk_robot(), title=TITLE, text=TEXT)

    (message,) = server.received
    assert "sign" not in message.query and "timestamp" not in message.query


def test_a_stale_signature_in_the_webhook_url_is_replaced(server):
    robot = server.dingtalk_robot(secret="SECabc")
    pasted = Robot(kind="dingtalk", webhook_url=robot.webhook_url + "&timestamp=1&sign=old", secret="SECabc")

    send_markdown(pasted, title=TITLE, text=TEXT)

    assert server.received[0].query["timestamp"] != "1"


def test_a_wrong_dingtalk_secret_is_rejected_for_good(server):
    robot = server.dingtalk_robot(secret="SECright")

    with pytest.raises(RobotError) as caught:
        send_markdown(Robot(kind="dingtalk", webhook_url=robot.webhook_url, secret="SECwrong"), title=TITLE, text=TEXT)

    assert caught.value.permanent and caught.value.errcode == 310000
    assert server.received == []


def test_a_signature_older_than_an_hour_is_rejected(server):
    robot = server.dingtalk_robot(secret="SECabc")

    with pytest.raises(RobotError) as caught:
        send_markdown(robot, title=TITLE, text=TEXT, now=lambda: time.time() - 2 * 3600)

    assert caught.value.permanent and caught.value.errcode == 310000


@pytest.mark.parametrize(("kind", "errcode"), [("wecom", 93000), ("dingtalk", 300001)])
def test_an_unknown_webhook_key_is_a_permanent_error(server, kind, errcode):
    robot = server.wecom_robot() if kind == "wecom" else server.dingtalk_robot()
    unknown = Robot(kind=robot.kind, webhook_url=robot.webhook_url[:-6] + "ffffff")

    with pytest.raises(RobotError) as caught:
        send_markdown(unknown, title=TITLE, text=TEXT)

    assert caught.value.permanent and caught.value.errcode == errcode
    assert "ffffff" not in str(caught.value)  # the key is a credential; the error goes to the ledger


# --- temporary failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "errcode", "wait"), [("wecom", 45009, 60.0), ("dingtalk", 130101, 600.0)])
def test_a_rate_limit_errcode_is_temporary_and_says_when_to_retry(server, kind, errcode, wait):
    robot = server.wecom_robot() if kind == "wecom" else server.dingtalk_robot(secret="SECabc")
    server.fail_next(1, "rate_limit")

    with pytest.raises(RobotError) as caught:
        send_markdown(robot, title=TITLE, text=TEXT)
    send_markdown(robot, title=TITLE, text=TEXT)

    assert not caught.value.permanent
    assert (caught.value.errcode, caught.value.retry_after) == (errcode, wait)
    assert len(server.received) == 1


def test_a_server_error_is_temporary(server):
    server.fail_next(1, "http_500")

    with pytest.raises(RobotError) as caught:
        send_markdown(server.wecom_robot(), title=TITLE, text=TEXT)

    assert not caught.value.permanent and caught.value.retry_after is None


def test_http_429_is_temporary_and_honours_retry_after(server):
    server.fail_next(1, "http_429")

    with pytest.raises(RobotError) as caught:
        send_markdown(server.dingtalk_robot(), title=TITLE, text=TEXT)

    assert not caught.value.permanent and caught.value.retry_after == 7.0


def test_a_slow_robot_times_out_as_a_temporary_error(server):
    server.slow_seconds = 0.6
    server.fail_next(1, "slow")

    with pytest.raises(RobotError) as caught:
        send_markdown(server.wecom_robot(), title=TITLE, text=TEXT, timeout=0.2)

    assert not caught.value.permanent


def test_an_unreachable_robot_is_a_temporary_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens there
    robot = Robot(kind="wecom", webhook_url=f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=secret-key")

    with pytest.raises(RobotError) as caught:
        send_markdown(robot, title=TITLE, text=TEXT, timeout=2)

    assert not caught.value.permanent
    assert "secret-key" not in str(caught.value)


def test_a_redirect_is_not_followed(server):
    server.fail_next(1, "redirect")

    with pytest.raises(RobotError) as caught:
        send_markdown(server.wecom_robot(), title=TITLE, text=TEXT)

    assert caught.value.permanent
    assert server.requests == 1


def test_only_http_webhooks_are_called():
    with pytest.raises(RobotError) as caught:
        send_markdown(Robot(kind="wecom", webhook_url="file:///etc/passwd"), title=TITLE, text=TEXT)

    assert caught.value.permanent


# --- size limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_an_oversized_text_is_cut_to_4096_bytes_of_valid_utf8(server, kind):
    robot = server.wecom_robot() if kind == "wecom" else server.dingtalk_robot(secret="SECabc")
    # One long line of 3-byte characters after a 1-byte one: no line break to cut at, and the byte
    # limit falls inside a character.
    text = "a" + "隐患" * 2000

    send_markdown(robot, title=TITLE, text=text)

    content = sent_content(server)  # the server parsed it as UTF-8 JSON
    assert len(content.encode("utf-8")) <= MAX_MARKDOWN_BYTES
    kept, marker = content.rsplit("\n", 1)
    assert f"### {TITLE}\n{text}".startswith(kept)
    assert len(kept.encode("utf-8")) > MAX_MARKDOWN_BYTES - 100  # the long line is cut, not dropped
    assert "截断" in marker


def test_a_cut_text_ends_at_a_whole_line(server):
    lines = [f"- XQ-2026-{n:04d} 配电箱未接地（已逾期 {n} 天）" for n in range(200)]

    send_markdown(server.wecom_robot(), title=TITLE, text="\n".join(lines))

    shown = sent_content(server).split("\n")[1:-1]
    assert len("\n".join(shown).encode()) > MAX_MARKDOWN_BYTES - 200  # as many whole lines as fit
    assert len(shown) < len(lines)
    assert shown == lines[: len(shown)]


# --- rate limiter on the real Redis --------------------------------------------------------------


def test_30_concurrent_senders_get_exactly_20_slots(redis_client):
    robot_key = f"https://qyapi.example/send?key={uuid.uuid4()}"
    # Three limiters on three connections stand for three worker processes.
    limiters = [RobotRateLimiter(redis.Redis(connection_pool=redis_client.connection_pool)) for _ in range(3)]
    barrier = threading.Barrier(30)
    results: list[float] = [-1.0] * 30

    def send(index: int) -> None:
        barrier.wait(timeout=10)
        results[index] = limiters[index % 3].acquire(robot_key)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert results.count(0.0) == 20
    waits = [r for r in results if r != 0.0]
    assert len(waits) == 10 and all(0 < wait <= 60 for wait in waits)


def test_a_full_window_says_how_long_to_wait_and_takes_no_slot(redis_client):
    limiter = RobotRateLimiter(redis_client, limit=2, window=0.5)
    robot_key = str(uuid.uuid4())

    assert [limiter.acquire(robot_key), limiter.acquire(robot_key)] == [0.0, 0.0]
    wait = limiter.acquire(robot_key)
    assert 0 < wait <= 0.5
    assert limiter.acquire(robot_key) > 0
    assert redis_client.zcard(limiter.key_for(robot_key)) == 2

    time.sleep(wait + 0.01)
    assert limiter.acquire(robot_key) == 0.0


def test_each_robot_has_its_own_window(redis_client):
    limiter = RobotRateLimiter(redis_client, limit=1)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())

    assert limiter.acquire(first) == 0.0
    assert limiter.acquire(second) == 0.0
    assert limiter.acquire(first) > 0


def test_rate_limit_keys_expire_and_do_not_hold_the_webhook_url(redis_client):
    limiter = RobotRateLimiter(redis_client, window=60.0)
    robot_key = f"https://oapi.dingtalk.com/robot/send?access_token={uuid.uuid4().hex}"

    limiter.acquire(robot_key)

    key = limiter.key_for(robot_key)
    assert 0 < redis_client.pttl(key) <= 61_000
    assert "access_token" not in key


# --- merging a burst -----------------------------------------------------------------------------


def digest(n: int, lines: int) -> tuple[str, str]:
    return (
        f"隐患整改提醒：{lines} 条待办（{n}）",
        "\n".join(f"- XQ-2026-{n:03d}{i:03d} 配电箱未接地（已逾期 {i} 天）" for i in range(lines)),
    )


def assert_every_line_kept_in_order(messages, merged) -> None:
    out = [line for _title, text in merged for line in text.split("\n")]
    expected = [line for _title, text in messages for line in text.split("\n")]
    wanted = set(expected)
    kept = [line for line in out if line in wanted]
    assert kept == expected


def test_merging_a_burst_keeps_every_line_within_the_limit(server):
    messages = [digest(n, 3) for n in range(45)]

    merged = merge_messages(messages, limit=20)

    assert len(merged) <= 20
    assert_every_line_kept_in_order(messages, merged)
    robot = server.wecom_robot()
    for title, text in merged:
        assert len(markdown_content(title, text).encode()) <= MAX_MARKDOWN_BYTES  # nothing left to cut
        send_markdown(robot, title=title, text=text)
    assert len(server.received) == len(merged)


def test_large_messages_are_split_at_line_boundaries_to_stay_within_the_limit():
    # 25 messages of ~2.6 KB: kept whole they would need 25 messages.
    messages = [digest(n, 50) for n in range(25)]

    merged = merge_messages(messages, limit=20)

    assert len(merged) <= 20
    assert_every_line_kept_in_order(messages, merged)
    assert all(len(markdown_content(t, x).encode()) <= MAX_MARKDOWN_BYTES for t, x in merged)


def test_more_than_fits_in_the_limit_still_loses_nothing():
    messages = [digest(n, 200) for n in range(30)]

    merged = merge_messages(messages, limit=5)

    assert len(merged) > 5
    assert_every_line_kept_in_order(messages, merged)
    assert all(len(markdown_content(t, x).encode()) <= MAX_MARKDOWN_BYTES for t, x in merged)


def test_a_burst_within_the_limit_is_left_alone():
    messages = [digest(n, 3) for n in range(5)]

    assert merge_messages(messages, limit=20) == messages


# --- SMS -----------------------------------------------------------------------------------------


class RecordingSmsBackend:
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


def test_the_logging_backend_masks_the_phone_number(settings, caplog):
    if hasattr(settings, "SMS_BACKEND"):
        del settings.SMS_BACKEND
    caplog.set_level(logging.INFO, logger="reminders.sms")

    assert isinstance(get_backend(), LoggingSmsBackend)
    send_sms("138 1234 0000", TITLE)

    assert "138****0000" in caplog.text
    assert "13812340000" not in caplog.text


@pytest.mark.parametrize("phone", ["", "12345", "12812340000", "138123400001", "010-12345678", "1381234000a"])
def test_an_invalid_phone_number_is_a_permanent_error(phone):
    with pytest.raises(SmsError) as caught:
        send_sms(phone, TITLE)

    assert caught.value.permanent


def test_the_configured_backend_gets_a_clean_number_and_a_short_text(settings):
    settings.SMS_BACKEND = "tests.test_robots.RecordingSmsBackend"
    RecordingSmsBackend.sent.clear()

    send_sms("+86 139-1234-5678", "隐" * 800)

    ((phone, text),) = RecordingSmsBackend.sent
    assert phone == "13912345678"
    assert len(text) == 500 and text.endswith("…")
