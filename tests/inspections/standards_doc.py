"""The 判定标准 item texts as INSPECTIONS.md captures them, read from the document itself, so a test can
hold the shipped data to it: (document number, article, item number) → text."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "shared" / "INSPECTIONS.md"

# (heading as the document writes it, document number, article)
_NUMBERED = (
    ("**煤矿 (令第4号 第三条), the 15 方面:**", "应急管理部令第4号", "第三条"),
    (
        "**化工和危险化学品 (2017), 20 items (short wording; take the full wording from the official text):**",
        "安监总管三〔2017〕121号",
        "附件1",
    ),
    ("**烟花爆竹 (2017), 20 items (short wording):**", "安监总管三〔2017〕121号", "附件2"),
    ("第六条 建材, 8 items (short):", "应急管理部令第10号", "第六条"),
)
_CHINESE = "一二三四五六七八九十"


def _paragraph(text: str, start: str) -> str:
    """From ``start`` to the end of its paragraph, lines joined as the Chinese text runs on."""
    body = text[text.index(start) + len(start) :]
    body = body.split("\n\n", 1)[0]
    return "".join(line.strip() for line in body.splitlines())


def _items(body: str, pattern: str) -> dict[str, str]:
    parts = re.split(pattern, body)
    return {number: text.strip().rstrip(";.").strip() for number, text in zip(parts[1::2], parts[2::2], strict=True)}


def captured_items() -> dict[tuple[str, str, str], str]:
    text = DOC.read_text(encoding="utf-8")
    found: dict[tuple[str, str, str], str] = {}
    for heading, number, article in _NUMBERED:
        body = _paragraph(text, heading)
        if article == "第三条" and number == "应急管理部令第10号":
            continue
        if "第六条" in heading:
            body = body.split(" The other articles")[0]
        for item, item_text in _items(body, r"(?:^|;)\s*(\d+)\s").items():
            found[number, article, item] = item_text
    article_three = _paragraph(text, "**工贸 (令第10号).** 第三条 (every 工贸 enterprise): ").split(" 第六条")[0]
    for item, item_text in _items(article_three, r"(?:^|;)\s*\(([" + _CHINESE + r"]+)\)\s").items():
        found["应急管理部令第10号", "第三条", f"（{item}）"] = item_text
    return found
