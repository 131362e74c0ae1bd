"""Group robots (群机器人): 企业微信 (WeCom) group robot and 钉钉 (DingTalk) custom robot webhooks.

Both take one markdown message per HTTP POST and answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``
or another errcode. Both allow 20 messages a minute per robot; DingTalk then throttles the robot for ten
minutes, so ``RobotRateLimiter`` keeps every worker under the limit and ``merge_messages`` folds a burst into
fewer messages instead of dropping any.

The client only ever POSTs to the webhook URL it is given and follows no redirect.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.utils.translation import gettext as _

# WeCom: "markdown内容，最长不超过4096个字节，必须是utf8编码". DingTalk documents no smaller limit for
# markdown, so both are held to WeCom's.
MAX_MARKDOWN_BYTES = 4096
# DingTalk shows the title in the conversation list only; its message API caps titles at 64 characters.
MAX_TITLE_CHARS = 64

# WeCom errcodes (https://developer.work.weixin.qq.com/document/path/91770 and the global code list).
WECOM_BUSY = -1  # 系统繁忙
WECOM_RATE_LIMITED = 45009  # api freq out of limit
WECOM_INVALID_WEBHOOK = 93000  # invalid webhook url (wrong or deleted key)
# DingTalk custom robot errcodes.
DINGTALK_BUSY = -1  # 系统繁忙
DINGTALK_TOO_FAST = 130101  # send too fast, exceed 20 times per minute
DINGTALK_TOKEN_MISSING = 300001  # token is not exist
DINGTALK_SECURITY = 310000  # keywords not in content / sign not match / invalid timestamp / ip not in whitelist

# After a rate-limit errcode: WeCom counts a rolling minute; DingTalk blocks the robot for ten minutes.
_TEMPORARY = {
    "wecom": {WECOM_BUSY: 5.0, WECOM_RATE_LIMITED: 60.0},
    "dingtalk": {DINGTALK_BUSY: 5.0, DINGTALK_TOO_FAST: 600.0},
}


class RobotError(Exception):
    """A message the robot did not take. ``permanent`` means retrying cannot help (wrong key, bad
    signature, refused content); otherwise retry, not before ``retry_after`` seconds when given."""

    def __init__(
        self, message: str, *, permanent: bool, retry_after: float | None = None, errcode: int | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.errcode = errcode


@dataclass(frozen=True)
class Robot:
    """One group robot: its kind, webhook URL and, for a DingTalk robot with 加签, the ``SEC…`` secret."""

    kind: Literal["wecom", "dingtalk"]
    webhook_url: str
    secret: str = ""


def send_markdown(
    robot: Robot, *, title: str, text: str, timeout: float = 10.0, now: Callable[[], float] = time.time
) -> None:
    """Post one markdown message; raise ``RobotError`` unless the robot answered errcode 0.

    The title heads the text (a WeCom markdown message has no title of its own); text beyond
    ``MAX_MARKDOWN_BYTES`` is cut on a line or character boundary and marked as cut.
    """
    if robot.kind == "wecom":
        url = robot.webhook_url
        payload: dict = {"msgtype": "markdown", "markdown": {"content": markdown_content(title, text)}}
    elif robot.kind == "dingtalk":
        url = _signed_url(robot, now()) if robot.secret else robot.webhook_url
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": _clip_chars(title, MAX_TITLE_CHARS), "text": markdown_content(title, text)},
        }
    else:
        raise RobotError(f"unknown robot kind {robot.kind!r}", permanent=True)
    if urlsplit(url).scheme not in ("http", "https"):
        raise RobotError("robot webhook URL must be http or https", permanent=True)
    _post(robot.kind, url, payload, timeout=timeout)


def markdown_content(title: str, text: str) -> str:
    """The markdown body sent for (title, text), within ``MAX_MARKDOWN_BYTES`` bytes of UTF-8."""
    content = f"### {title}\n{text}" if title else text
    if _size(content) <= MAX_MARKDOWN_BYTES:
        return content
    marker = "\n" + _("……（内容过长，已截断）")
    head = _clip_bytes(content, MAX_MARKDOWN_BYTES - _size(marker))
    # End on a whole line, so no item is shown half, unless that line is most of what would be kept.
    cut = head.rfind("\n")
    if cut > len(head) // 2:
        head = head[:cut]
    return head + marker


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), before URL-encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _signed_url(robot: Robot, now: float) -> str:
    timestamp = round(now * 1000)
    parts = urlsplit(robot.webhook_url)
    # A URL pasted with an old timestamp/sign must not carry two of each.
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp)), ("sign", dingtalk_sign(robot.secret, timestamp))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _post(kind: str, url: str, payload: dict, *, timeout: float) -> None:
    # Error messages end up in the ledger (Notification.last_error): they name the robot kind, never
    # the URL, whose query string is the robot's credential.
    try:
        response = requests.post(url, json=payload, timeout=timeout, allow_redirects=False)
    except requests.Timeout as exc:
        raise RobotError(f"{kind} robot timed out after {timeout}s", permanent=False) from exc
    except requests.RequestException as exc:
        raise RobotError(f"{kind} robot unreachable ({type(exc).__name__})", permanent=False) from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise RobotError(
            f"{kind} robot answered HTTP {status}",
            permanent=False,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    if status != 200:
        raise RobotError(f"{kind} robot answered HTTP {status}", permanent=True)
    try:
        body = response.json()
        errcode = int(body["errcode"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RobotError(f"{kind} robot answered something other than its JSON result", permanent=True) from exc
    if errcode == 0:
        return
    errmsg = str(body.get("errmsg", ""))[:300]
    wait = _TEMPORARY[kind].get(errcode)
    raise RobotError(
        f"{kind} robot errcode {errcode}: {errmsg}", permanent=wait is None, retry_after=wait, errcode=errcode
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


# --- rate limit ----------------------------------------------------------------------------------

# A rolling window as a sorted set of send times. Redis's own clock is used so that workers on
# hosts whose clocks differ still share one window; the script runs atomically, so concurrent
# callers cannot both take the last slot.
_ACQUIRE = """
local key, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
    return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RobotRateLimiter:
    """At most ``limit`` messages per rolling ``window`` seconds per robot, across all processes."""

    def __init__(self, redis_client, *, limit: int = 20, window: float = 60.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.redis = redis_client
        self.limit = limit
        self.window = window
        self._script = redis_client.register_script(_ACQUIRE)

    def key_for(self, robot_key: str) -> str:
        # Hashed: a robot is usually known by its webhook URL, which must not sit in Redis in clear.
        return "reminders:robot-rate:" + hashlib.sha256(robot_key.encode()).hexdigest()[:32]

    def acquire(self, robot_key: str) -> float:
        """0.0 when a slot was taken now; otherwise the seconds to wait before trying again (no slot taken)."""
        result = self._script(keys=[self.key_for(robot_key)], args=[self.window, self.limit, uuid.uuid4().hex])
        wait = float(result)
        # The oldest send may leave the window in the very same microsecond; never answer "wait 0".
        return 0.0 if wait == 0 else max(wait, 0.001)


# --- merging -------------------------------------------------------------------------------------


def merge_messages(messages: list[tuple[str, str]], *, limit: int) -> list[tuple[str, str]]:
    """Fold more than ``limit`` (title, text) messages for one robot into at most ``limit``, dropping nothing.

    Each message keeps its title as a bold line above its text; messages are packed in order into merged
    messages that fit ``MAX_MARKDOWN_BYTES``. A message is kept whole when that still gives at most
    ``limit``; otherwise messages are split between two at a line boundary, under a "（续）" heading.
    Should even ``limit`` full messages not hold everything, the result has as many as needed (the rate
    limiter then spreads them over the following minutes) rather than losing lines.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(messages) <= limit and all(_size(markdown_content(t, x)) <= MAX_MARKDOWN_BYTES for t, x in messages):
        return list(messages)
    budget = MAX_MARKDOWN_BYTES - _size(markdown_content(_merged_title(len(messages)), ""))
    chunks = _pack(messages, budget, keep_whole=True)
    if len(chunks) > limit:
        chunks = _pack(messages, budget, keep_whole=False)
    return [(_merged_title(chunk.sources), "\n".join(chunk.lines)) for chunk in chunks]


def _pack(messages: list[tuple[str, str]], budget: int, *, keep_whole: bool) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    current = _Chunk()
    for title, text in messages:
        heading = f"**{_clip_bytes(title, 200)}**" if title else ""
        lines = [heading] if heading else []
        # Any line longer than half a message is cut in pieces, so each fits below a heading.
        lines += [piece for line in text.splitlines() for piece in _split_line(line, budget // 2)]
        if keep_whole and current.lines and _lines_size(lines) <= budget and not current.fits(["", *lines], budget):
            chunks.append(current)
            current = _Chunk()
        placed = in_current = False  # some of this message is in an earlier chunk / in the current one
        for line in lines:
            gap = [""] if current.lines and not in_current else []  # a blank line between messages
            if current.lines and not current.fits([*gap, line], budget):
                chunks.append(current)
                current = _Chunk()
                if placed:
                    current.add([heading + _("（续）")])
                in_current, gap = False, []
            if not in_current:
                current.sources += 1
                in_current = True
            current.add([*gap, line])
            placed = True
    if current.lines:
        chunks.append(current)
    return chunks


@dataclass
class _Chunk:
    lines: list[str] = field(default_factory=list)
    size: int = 0  # bytes of the lines, one newline each
    sources: int = 0  # how many of the original messages have lines here

    def fits(self, more: list[str], budget: int) -> bool:
        return self.size + _lines_size(more) <= budget

    def add(self, more: list[str]) -> None:
        self.lines += more
        self.size += _lines_size(more)


def _merged_title(n: int) -> str:
    return _("提醒汇总（%(n)d 条）") % {"n": n}


def _split_line(line: str, size: int) -> list[str]:
    pieces = []
    while _size(line) > size:
        head = _clip_bytes(line, size)
        pieces.append(head)
        line = line[len(head) :]
    return [*pieces, line]


def _lines_size(lines: list[str]) -> int:
    return sum(_size(line) + 1 for line in lines)


def _size(text: str) -> int:
    return len(text.encode())


def _clip_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` bytes of UTF-8, never half a character."""
    return text.encode()[:limit].decode(errors="ignore")


def _clip_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
