"""Platform mail written for the tests: messages in Chinese and English, malformed ones, and a
small PDF attachment."""

from __future__ import annotations

import base64
import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime


def gb2312_word(text: str) -> str:
    """An RFC 2047 encoded word in GB2312, as Chinese mail programs write it."""
    return "=?GB2312?B?" + base64.b64encode(text.encode("gb2312")).decode("ascii") + "?="


def chinese_message(*, to: str, message_id: str = "<cn-1@amazon.com>") -> bytes:
    """A GB2312 message with an encoded subject and a base64 GB2312 body."""
    subject = gb2312_word("亚马逊卖家身份验证：需要补充资料")
    body = "您好，\r\n您的申请需要补充资料，请在 7 天内上传营业执照。\r\n".encode("gb2312")
    return (
        f"From: =?GB2312?B?{base64.b64encode('亚马逊'.encode('gb2312')).decode()}?= "
        "<seller-verification@amazon.com>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Mon, 02 Nov 2026 10:00:00 +0800\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("ascii") + base64.encodebytes(body).replace(b"\n", b"\r\n")


def english_message(
    *,
    to: str,
    subject: str = "Your application is under review",
    body: str = "Thank you. Your application is under review.",
    sender: str = "seller-notification@amazon.com",
    message_id: str = "<en-1@amazon.com>",
    html: str | None = None,
    pdf: bytes | None = None,
    extra_attachment: tuple[str, bytes, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Amazon Seller Central <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC))
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if pdf is not None:
        msg.add_attachment(
            pdf, maintype="application", subtype="pdf", filename="营业执照补充说明.pdf"
        )
    if extra_attachment is not None:
        name, data, ctype = extra_attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


MALFORMED = b"\x00\x01\x02 this is not a mail message at all \xff\xfe\r\n"


MALFORMED_TEXT = b"just some words\r\nwithout any header\r\n"


def pdf_bytes(text: str = "LinkStar") -> bytes:
    from tests.support.files import pdf_bytes as make

    return make(text)
