"""Raw bytes -> ParsedMessage: headers, best body text, attachments. Pure; never raises.

Real mail is broken in every way the corpus shows (missing boundaries, bad charsets,
parts labelled multipart that parse as leaves), so every step falls back rather
than failing: a message we cannot parse still yields a ParsedMessage whose
``defects`` say why, and the workflow sends it to review instead of losing it.

Owns: reading a message (``parse_message``), the MIME walk (``bot.mail._walk`` is not a
module: the walk lives in ``bot.mail.mime_walk``-like helpers below), and the header-safety
helpers every outgoing header passes through (``clean_header``, ``format_address``,
``reply_subject``). Zip archives and mbox files belong to ``bot.mail.unpack``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from bot.mail.htmltext import html_to_text
from bot.mail.unpack import Attachment, expand_archives
from bot.mail.walk import Found, decode_bytes, walk

__all__ = [
    "Attachment",
    "ParsedMessage",
    "as_email_message",
    "clean_header",
    "format_address",
    "html_to_text",
    "parse_message",
    "reply_subject",
]

_CONTROL = re.compile(r"[\r\n\t\x00-\x1f\x7f\u2028\u2029\x85]+")
_SPACES = re.compile(r" {2,}")
_MSGID = re.compile(r"<[^<>\s]+>")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
