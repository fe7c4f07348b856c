"""Reading a raw RFC 822 message: headers (RFC 2047, Chinese charsets), the text and HTML
bodies, attachments; and making the HTML safe to show (nh3).

Chinese mail often says ``gb2312`` and uses characters only GBK/GB18030 has, or carries 8-bit
headers without any encoding: every Chinese label is decoded as GB18030 (a superset), and
undeclared bytes are tried as UTF-8, then GB18030."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import EmailMessage

import nh3

CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "ks_c_5601-1987": "cp949",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
}
RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to")
SIGNATURE_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "mime-version")


class Unparsable(Exception):
    """The bytes are not a mail message we can read."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    payload: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass
class ParsedMail:
    message_id: str = ""
    from_address: str = ""
    from_name: str = ""
    recipients: list[str] = field(default_factory=list)  # every recipient header, lower case
    to_addresses: list[str] = field(default_factory=list)  # To and Cc as written
    subject: str = ""
    sent_at: dt.datetime | None = None
    text: str = ""
    html: str = ""  # sanitised
    attachments: list[Attachment] = field(default_factory=list)


def _codec(charset: str | None) -> str:
    name = (charset or "").strip().strip('"').lower()
    return CHARSET_ALIASES.get(name, name)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes as text in their declared charset (GB2312 read as GB18030), else UTF-8, else
    GB18030, never an exception."""
    tried = []
    if charset:
        tried.append(_codec(charset))
    tried += ["utf-8", "gb18030"]
    for codec in tried:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _raw_header_bytes(value: str) -> bytes:
    # message_from_bytes keeps undeclared 8-bit header bytes as surrogate escapes
    return value.encode("ascii", errors="surrogateescape")


def decode_header_text(value: str | None) -> str:
    """An RFC 2047 header (``=?GB2312?B?...?=``) or a raw 8-bit one, as text, folded."""
    if not value:
        return ""
    value = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = decode_bytes(_raw_header_bytes(value))
    parts = []
    try:
        chunks = decode_header(value)
    except Exception:  # a broken encoded word: keep the text as written
        chunks = [(value, None)]
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset))
        else:
            parts.append(chunk)
    # decode_header drops the whitespace between encoded and plain words inconsistently
    text = "".join(parts) if len(parts) > 1 else (parts[0] if parts else "")
    return " ".join(text.split())


def _raw_headers(message: EmailMessage, name: str) -> list[str]:
    name = name.lower()
    return [v for k, v in message.raw_items() if k.lower() == name]


def _addresses(message: EmailMessage, names) -> list[tuple[str, str]]:
    values = []
    for name in names:
        values += [decode_header_text(v) for v in _raw_headers(message, name)]
    return [(n, a) for n, a in email.utils.getaddresses(values) if a and "@" in a]


def _date(message: EmailMessage) -> dt.datetime | None:
    raw = _raw_headers(message, "date")
    if not raw:
        return None
    try:
        when = email.utils.parsedate_to_datetime(decode_header_text(raw[0]))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def _part_bytes(part) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part) -> str:
    raw = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if raw is None:
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, value)
        charset, _lang, text = raw
        try:
            return email.utils.collapse_rfc2231_value(raw)
        except (LookupError, UnicodeError):
            return decode_bytes(text.encode("latin-1", errors="replace"), charset)
    return decode_header_text(str(raw))


def parse(raw: bytes) -> ParsedMail:
    """Read ``raw``; raise :class:`Unparsable` when it is not a message."""
    if not raw or not raw.strip():
        raise Unparsable("empty message")
    if b"\x00" in raw[:4096]:
        raise Unparsable("binary data, not a mail message")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:
        raise Unparsable(f"not a mail message: {exc}") from exc
    names = {k.lower() for k in message}
    if not names & set(SIGNATURE_HEADERS) or not (names & {"from", "subject", "message-id"}):
        raise Unparsable("no mail headers (From, Subject, Message-ID) found")
    try:
        return _read(message)
    except Unparsable:
        raise
    except Exception as exc:  # whatever a broken MIME structure throws
        raise Unparsable(f"{type(exc).__name__}: {exc}") from exc


def _read(message: EmailMessage) -> ParsedMail:
    parsed = ParsedMail()
    mid = decode_header_text((_raw_headers(message, "message-id") or [""])[0]).strip()
    parsed.message_id = mid[:255]
    senders = _addresses(message, ["from"])
    if senders:
        parsed.from_name, parsed.from_address = senders[0][0][:200], senders[0][1].lower()[:254]
    parsed.subject = decode_header_text((_raw_headers(message, "subject") or [""])[0])[:500]
    parsed.to_addresses = [a for _n, a in _addresses(message, ["to", "cc"])][:50]
    seen = []
    for _n, address in _addresses(message, RECIPIENT_HEADERS):
        address = address.strip().lower()
        if address not in seen:
            seen.append(address)
    parsed.recipients = seen
    parsed.sent_at = _date(message)
    texts, htmls = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if disposition == "attachment" or (filename and content_type not in ("text/plain",)):
            parsed.attachments.append(
                Attachment(
                    filename=filename or f"attachment-{len(parsed.attachments) + 1}",
                    content_type=content_type,
                    payload=_part_bytes(part),
                )
            )
            continue
        if content_type == "text/plain":
            texts.append(decode_bytes(_part_bytes(part), part.get_content_charset()))
        elif content_type == "text/html":
            htmls.append(decode_bytes(_part_bytes(part), part.get_content_charset()))
        elif message.get_content_maintype() != "multipart" and not texts:
            texts.append(decode_bytes(_part_bytes(part), part.get_content_charset()))
    html = "\n".join(htmls)
    parsed.html = sanitize_html(html) if html else ""
    parsed.text = "\n".join(t.strip("\n") for t in texts).strip() or html_to_text(html)
    return parsed


# --- HTML ------------------------------------------------------------------------------------

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"img"} | {
    "img", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col",
    "font", "center", "span", "div", "p", "br", "hr", "pre", "blockquote", "u", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    **{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "width", "height", "title"},
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "align", "valign", "width"},
    "th": {"colspan", "rowspan", "align", "valign", "width"},
    "table": {"width", "border", "cellpadding", "cellspacing", "align"},
    "font": {"color", "size"},
    "p": {"align"},
    "div": {"align"},
}


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    # No remote images (tracking pixels, leaks of who read what, when): only inline ones.
    if tag == "img" and attr == "src":
        lowered = value.strip().lower()
        return value if lowered.startswith(("cid:", "data:image/")) else None
    return value


def sanitize_html(html: str) -> str:
    """No script, style, iframe, form, event handlers or remote images; links open with
    ``rel="noopener noreferrer"`` in a new window."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "title"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


_TAG = re.compile(r"<[^>]+>")
# Where a block ends in HTML a paragraph ends in the text (the mail reading splits on them).
_BLOCK_END = re.compile(
    r"<\s*(?:br|hr|/p|/div|/tr|/li|/h[1-6]|/table|/blockquote|/td)\b[^>]*>", re.IGNORECASE
)


def html_to_text(html: str) -> str:
    """The text of an HTML body: one line per line of text, a blank line where a block ends."""
    if not html:
        return ""
    html = _BLOCK_END.sub(lambda m: m.group(0) + "\n\n", html)
    cleaned = nh3.clean(html, tags=set(), clean_content_tags={"script", "style", "title"})
    text = _TAG.sub(" ", cleaned)

    lines = [" ".join(line.split()) for line in html_lib.unescape(text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
