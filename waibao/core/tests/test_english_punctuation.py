"""English uses English punctuation: no English translation carries a full-width comma, colon,
parenthesis, semicolon, full stop or enumeration comma copied from the Chinese source."""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"
FULL_WIDTH = re.compile("[，：（）；。！？、【】《》\u3000]")
ENTRY = re.compile(
    r'^msgid ((?:"(?:[^"\\]|\\.)*"\n)+)(?:msgid_plural (?:"(?:[^"\\]|\\.)*"\n)+)?((?:msgstr(?:\[\d\])? (?:"(?:[^"\\]|\\.)*"\n?)+)+)',
    re.M,
)


def _text(quoted: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', quoted))


def test_no_english_translation_contains_full_width_punctuation():
    entries = ENTRY.findall(CATALOGUE.read_text(encoding="utf-8"))
    assert len(entries) > 1000
    offending = [
        (_text(msgid), _text(msgstr)) for msgid, msgstr in entries if FULL_WIDTH.search(_text(msgstr))
    ]
    assert offending == []


def test_the_check_catches_a_chinese_comma():
    assert FULL_WIDTH.search("Saved，vendor notified") and not FULL_WIDTH.search(
        "“Save draft” (D1–D7): done."
    )
