"""bot.logs: JSON lines with UTC times and message ids, text lines in UTC too."""

from __future__ import annotations

import json
import logging
import sys

from bot.logs import JsonFormatter, TextFormatter, level_of, message_id


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.workflow.process", logging.INFO, __file__, 1, msg, args, None)
    record.created = 1796400000.25  # 2026-12-04T16:00:00.250Z
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_line_has_utc_time_level_logger_message_and_message_id() -> None:
    line = JsonFormatter().format(_record("message %s (%s): %s", "<a.1@hopeharbor.org>", "join", "processed"))
    assert "\n" not in line
    assert json.loads(line) == {"time": "2026-12-04T16:00:00.250Z", "level": "INFO", "logger": "bot.workflow.process",
                                "message": "message <a.1@hopeharbor.org> (join): processed",
                                "message_id": "<a.1@hopeharbor.org>"}


def test_message_id_from_extra_wins_and_other_angle_brackets_are_not_ids() -> None:
    assert message_id(_record("x %s", "<a@b.org>", message_id="<given@lahsa.org>")) == "<given@lahsa.org>"
    assert message_id(_record("outbox %s: sent", "<a@b.org>:reply")) is None  # an outbox key, not a msg-id
    assert message_id(_record("to %s", "Kevin <kwu@example.net>")) is None
    assert message_id(_record("no args")) is None


def test_a_traceback_stays_inside_its_json_object() -> None:
    try:
        raise ValueError("broken PDF")
    except ValueError:
        record = _record("message failed")
        record.exc_info = sys.exc_info()
    obj = json.loads(JsonFormatter().format(record))
    assert "ValueError: broken PDF" in obj["exception"] and "Traceback" in obj["exception"]


def test_text_lines_are_in_utc_too() -> None:
    line = TextFormatter().format(_record("hello"))
    assert line == "2026-12-04T16:00:00.250Z INFO bot.workflow.process: hello"


def test_verbose_means_at_least_info() -> None:
    assert level_of(False) == logging.WARNING and level_of(True) == logging.INFO
    assert level_of(True, "debug") == logging.DEBUG and level_of(False, "error") == logging.ERROR
