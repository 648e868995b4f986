"""Strangers' words quoted in LAHSA's mail (bot.core.text)."""

from bot.core.text import quoted, visible


def test_links_are_removed_and_long_text_cut() -> None:
    assert quoted("reset at http://evil.example/reset now") == "reset at [link removed] now"
    assert quoted("see www.evil.example") == "see [link removed]"
    assert quoted("go to evil.example/reset") == "go to [link removed]"
    assert quoted("Hope Harbor Services - User Agreement") == "Hope Harbor Services - User Agreement"
    long = quoted("a" * 1000)
    assert len(long) == 120 and long.endswith("…")


def test_invisible_and_control_characters_go() -> None:
    assert visible("report\u202efdp.exe") == "reportfdp.exe"
    assert visible("a\r\nBcc: x\u200b\u2066y") == "a Bcc: xy"
