"""parse_message on hand-made hostile mail, and the zip unpacker's limits (bot.mail.message, bot.mail.unpack)."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from bot.mail.message import clean_header, format_address, html_to_text, parse_message, reply_subject
from bot.mail.unpack import ZipLimits, expand_archives, sniff_document, split_mbox, unpack_zip

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def mail(headers: str, body: str | bytes = "hello") -> bytes:
    raw = body if isinstance(body, bytes) else body.encode()
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + raw


def with_attachments(*files: tuple[str, str, bytes], text: str = "see attached") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = "Pat <pat@hope.org>", "j@lahsa.org", "forms", "<a@b>"
    msg.set_content(text)
    for name, ctype, data in files:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


# --- headers: injection, encoded words, charsets ---------------------------------------------

def test_crlf_in_an_encoded_subject_never_reaches_a_header_we_write() -> None:
    msg = parse_message(mail("From: a@b.org\nSubject: =?utf-8?q?Hi=0D=0ABcc:_victim@evil.example?=\n"))
    assert "\r" not in msg.subject and "\n" not in msg.subject
    out = EmailMessage()
    out["Subject"] = reply_subject(msg.subject)
    out["To"] = format_address("Eve\r\nBcc: victim@evil.example", "eve@evil.example")
    out.set_content("x")
    wire = out.as_bytes(policy=SMTP)
    assert b"\r\nBcc:" not in wire and wire.count(b"\r\nTo:") == 1


def test_clean_header_removes_every_line_breaker_and_lone_surrogates() -> None:
    assert clean_header("a\rb\nc\td\x00e\u2028f\x85g") == "a b c d e f g"
    assert clean_header("caf\udcc3\udca9") == "café"  # raw UTF-8 bytes the parser kept as surrogates


def test_rfc2047_words_are_decoded_in_subject_and_names() -> None:
    msg = parse_message(mail("From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <Jorg@Example.ORG>\n"
                             "Subject: =?iso-8859-1?q?Programm_=FCbersicht?= =?utf-8?b?4pyU?=\n"))
    assert msg.subject == "Programm übersicht✔"
    assert (msg.from_name, msg.from_addr, msg.from_domain) == ("Jörg Müller", "jorg@example.org", "example.org")


def test_an_unknown_charset_in_an_encoded_word_falls_back_instead_of_failing() -> None:
    msg = parse_message(mail("From: a@b.org\nSubject: =?x-unknown?q?caf=E9?= ok\n"))
    assert msg.subject == "café ok"


def test_a_body_in_a_bogus_charset_falls_back_and_says_so() -> None:
    msg = parse_message(mail("From: a@b.org\nContent-Type: text/plain; charset=x-bogus", "Se\xf1ora".encode("latin-1")))
    assert msg.body_text == "Señora"
    assert any("x-bogus" in d for d in msg.defects)


def test_quoted_display_name_with_comma_and_duplicate_headers_are_kept() -> None:
    msg = parse_message(mail('From: "Doe, Jane" <jane@hope.org>\nTo: x@lahsa.org, "Y, Z" <y@lahsa.org>\n'
                             "Received: one\nReceived: two\n"))
    assert (msg.from_name, msg.to) == ("Doe, Jane", ("x@lahsa.org", "y@lahsa.org"))
    assert msg.header_all("Received") == ["one", "two"]


def test_missing_message_id_gets_a_stable_one_from_the_bytes() -> None:
    data = mail("From: a@b.org\nSubject: s\n")
    assert parse_message(data).message_id == parse_message(data).message_id
    assert parse_message(data).message_id.endswith("@hmisbot.invalid>")


# --- bodies and attachments -------------------------------------------------------------------

def test_html_only_mail_keeps_list_items_and_marks_quotes() -> None:
    html = ("<html><head><style>p{}</style></head><body><p>Please set&nbsp;up:</p><ul><li>Street Team (Outreach)</li>"
            "<li>Harbor PSH</li></ul><div class=gmail_quote>On Mon, X wrote:<blockquote>old &amp; quoted</blockquote>"
            "</div></body></html>")
    expected = "Please set up:\n- Street Team (Outreach)\n- Harbor PSH\nOn Mon, X wrote:\n> old & quoted"
    assert html_to_text(html) == expected
    msg = parse_message(mail("From: a@b.org\nContent-Type: text/html; charset=utf-8", html))
    assert msg.body_text.startswith("Please set up:\n- Street Team")


def test_attachment_filenames_are_names_not_paths() -> None:
    msg = parse_message(with_attachments(("../../etc/agreement.pdf", "application/pdf", PDF)))
    assert [a.filename for a in msg.attachments] == ["agreement.pdf"]


def forwarded(inner: bytes, outer_text: str = "FYI, see the user's mail below.") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "PM <pm@hope.org>", "support@lahsa.org", "Fwd: my form"
    msg.set_content(outer_text)
    msg.add_attachment(inner, maintype="message", subtype="rfc822", filename="fwd.eml")
    return msg.as_bytes()


def test_files_inside_a_forwarded_message_are_found_and_its_text_is_marked_as_forwarded() -> None:
    inner = with_attachments(("user_agreement.pdf", "application/pdf", PDF), text="Here is my signed agreement.")
    msg = parse_message(forwarded(inner))
    assert [(a.filename, a.data) for a in msg.attachments] == [("user_agreement.pdf", PDF)]
    own, _, rest = msg.body_text.partition("---------- Forwarded message ---------")
    assert own.strip() == "FYI, see the user's mail below." and "Here is my signed agreement." in rest


def test_the_returned_message_inside_a_delivery_report_is_not_read_for_files() -> None:
    returned = with_attachments(("agreement.pdf", "application/pdf", PDF))
    report = EmailMessage()
    report["From"], report["Subject"] = "MAILER-DAEMON@lahsa.org", "Undelivered Mail Returned to Sender"
    report.set_content("It bounced.")
    report.add_attachment(returned, maintype="message", subtype="rfc822")
    report.replace_header("Content-Type", report["Content-Type"].replace("multipart/mixed", "multipart/report"))
    msg = parse_message(report.as_bytes())
    assert msg.content_type == "multipart/report" and msg.attachments == ()


def test_a_multipart_without_its_boundary_parameter_is_recovered() -> None:
    body = "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nContent-Type: application/pdf\r\n" \
           "Content-Disposition: attachment; filename=f.pdf\r\n\r\n" + PDF.decode() + "\r\n--b1--\r\n"
    msg = parse_message(mail("From: a@b.org\nContent-Type: multipart/mixed", body))
    assert [a.filename for a in msg.attachments] == ["f.pdf"] and msg.body_text.strip() == "hi"
    assert any("recovered" in d for d in msg.defects)


def test_outlook_msg_files_are_refused_with_a_defect_not_an_exception() -> None:
    msg = parse_message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert msg.attachments == () and "Outlook" in msg.defects[0] and msg.message_id


@pytest.mark.parametrize("data", [b"", b"\x00\xff" * 100, b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" * 50,
                                  b"From: \r\nSubject: =?utf-8?b?####?=\r\nDate: not a date\r\n\r\n"])
def test_garbage_never_raises(data: bytes) -> None:
    assert parse_message(data).sha256


def test_deep_nesting_stops_with_a_defect() -> None:
    body = "".join(f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(40))
    msg = parse_message(mail("From: a@b.org\nContent-Type: multipart/mixed; boundary=b0", body + "--b40\r\n\r\nx"))
    assert any("too deep" in d for d in msg.defects)


# --- zip archives -----------------------------------------------------------------------------

def zipped(*members: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def deflated_zeros(total: int) -> bytes:
    """A raw deflate stream of ``total`` zero bytes, built in milliseconds: after a full flush,
    every further 1 MiB block of zeros compresses to the same bytes, so they can be repeated."""
    block = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * (total // len(block) - 1) + c.flush()


def bomb(declared_size: int, total: int = 1 << 30, name: bytes = b"zeros.pdf") -> bytes:
    """One deflated member; the CRC is left 0 since nothing should ever inflate it."""
    data = deflated_zeros(total)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 33, 0, len(data), declared_size, len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 33, 0, len(data), declared_size,
                          len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(name) + len(data), 0)
    return local + name + data + central + end


@pytest.mark.parametrize("declared", [1 << 30, 1000], ids=["honest-1GiB", "lying-header"])
def test_a_zip_bomb_is_refused_quickly_and_without_memory(declared: int) -> None:
    data = bomb(declared)
    assert len(data) < 2 << 20
    tracemalloc.start()
    started = time.perf_counter()
    found, problems = unpack_zip("bomb.zip", data)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert found == [] and len(problems) == 1 and "zeros.pdf" in problems[0]
    assert elapsed < 1.0 and peak < 8 << 20


def test_a_highly_compressed_member_under_the_size_cap_is_refused_for_its_ratio() -> None:
    found, problems = unpack_zip("z.zip", zipped(("blank.pdf", b"%PDF-" + bytes(4 << 20))))
    assert found == [] and "ratio" in problems[0]


def test_documents_come_out_and_everything_else_is_named_in_the_problems() -> None:
    data = zipped(("forms/agreement.pdf", PDF), ("../../scan.png", PNG), ("notes.txt", b"hello"), ("dir/", b""))
    found, problems = unpack_zip("forms.zip", data)
    assert [(a.filename, a.content_type) for a in found] == [("forms.zip/agreement.pdf", "application/pdf"),
                                                              ("forms.zip/scan.png", "image/png")]
    assert problems == ["forms.zip/notes.txt: not a PDF or image; skipped"]


def test_member_count_total_size_and_nesting_caps() -> None:
    many = zipped(*((f"{i}.pdf", PDF) for i in range(51)))
    assert "51 members" in unpack_zip("many.zip", many)[1][0]
    two = zipped(("a.pdf", PDF + bytes(range(256)) * 3), ("b.pdf", PDF + bytes(range(256)) * 3),
                 method=zipfile.ZIP_STORED)
    found, problems = unpack_zip("two.zip", two, ZipLimits(max_total_bytes=1000))
    assert [a.filename for a in found] == ["two.zip/a.pdf"] and "limit" in problems[0]
    inner = zipped(("deep.pdf", PDF))
    assert [a.filename for a in unpack_zip("o.zip", zipped(("i.zip", inner)))[0]] == ["o.zip/i.zip/deep.pdf"]
    found, problems = unpack_zip("o.zip", zipped(("m.zip", zipped(("i.zip", inner)))))
    assert found == [] and "nested too deep" in problems[0]


def test_encrypted_members_are_skipped_without_reading_them() -> None:
    data = bytearray(zipped(("secret.pdf", PDF)))
    at = data.find(b"PK\x01\x02")
    data[at + 8] |= 0x01  # the central directory's general-purpose flag: encrypted
    found, problems = unpack_zip("s.zip", bytes(data))
    assert found == [] and "encrypted" in problems[0]


def test_parse_message_replaces_zips_by_their_documents_and_notes_refusals() -> None:
    data = with_attachments(("forms.zip", "application/zip", zipped(("ua.pdf", PDF), ("x.docx", b"PK junk"))),
                            ("roster.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             zipped(("[Content_Types].xml", b"<x/>"))),
                            ("broken.zip", "application/zip", b"PK\x03\x04 not really"))
    msg = parse_message(data)
    assert [a.filename for a in msg.attachments] == ["forms.zip/ua.pdf", "roster.xlsx"]
    assert any("x.docx" in d for d in msg.defects) and any("broken.zip" in d for d in msg.defects)


def test_bomb_inside_a_message_is_refused_too() -> None:
    msg = parse_message(with_attachments(("scans.zip", "application/zip", bomb(1 << 30))))
    assert msg.attachments == () and any("ratio" in d for d in msg.defects)


def test_sniff_and_expand_leave_other_files_alone() -> None:
    assert sniff_document(b"\xff\xd8\xff\xe0") == "image/jpeg" and sniff_document(b"II*\x00") == "image/tiff"
    assert sniff_document(b"\x00\x00\x00\x18ftypheic") == "image/heic" and sniff_document(b"hello") is None
    from bot.mail.unpack import Attachment
    kept = [Attachment("a.pdf", "application/pdf", PDF)]
    assert expand_archives(kept) == (kept, [])


def test_split_mbox_separates_messages_and_unescapes_from_lines() -> None:
    box = b"From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From here\n\nFrom c@d Tue Jan 2 00:00:00 2024\n" \
          b"Subject: two\n\nbody\n"
    one, two = split_mbox(box)
    assert parse_message(one).subject == "one" and b"\nFrom here" in one and parse_message(two).subject == "two"


def test_an_encoded_word_can_never_yield_an_address() -> None:
    """Issue 14, row 2: the address is the one in angle brackets, whatever the encoded name says."""
    crlf = (b"From: =?utf-8?q?Eve=0D=0ABcc:_victim1@third.example?= <eve.crlf@evil.example>\r\n"
            b"To: =?utf-8?q?a@b.example?= <hmissupport@lahsa.org>, other@lahsa.org\r\nSubject: x\r\n\r\nhi\r\n")
    msg = parse_message(crlf)
    assert msg.from_addr == "eve.crlf@evil.example"
    assert "\r" not in msg.from_name and "\n" not in msg.from_name
    assert msg.to == ("hmissupport@lahsa.org", "other@lahsa.org")
    only_encoded = parse_message(b"From: =?utf-8?q?a@b.example?=\r\nSubject: x\r\n\r\nhi\r\n")
    assert only_encoded.from_addr == ""
    named = parse_message(b'From: =?utf-8?q?Jos=C3=A9?= =?utf-8?q?_Ram=C3=ADrez?= <jose@x.org>\r\n'
                          b'Cc: "Doe, Jane" <jane@x.org>\r\nSubject: x\r\n\r\nhi\r\n')
    assert (named.from_name, named.from_addr, named.cc) == ("José Ramírez", "jose@x.org", ("jane@x.org",))
