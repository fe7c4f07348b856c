"""Reading a platform's mail as a person would, and which sender domains a platform mails from.

A mail is cut down to what it says now: quoted earlier mail ("> …", "On … wrote:",
"-----Original Message-----", "发件人：" blocks) and footers (unsubscribe, privacy, copyright …)
go. What is left is split into sentences (English and Chinese punctuation) and clauses. A phrase
counts only where it is stated: not inside a conditional or future clause ("If your application
is not approved …", "Once approved …", "审核通过后 …"), not negated ("无需补充资料"), not in a
question. Newsletters, security notices, policy updates and marketing propose nothing.

Each counted phrase is a ``Signal`` with the sentence that holds it and a confidence (0–100):
platform phrases (and the organization's own) weigh more than generic ones, the subject more than
the body, a platform's sender domain adds, an unknown sender and a contradiction subtract. The
stage a mail proposes is the first stage in ``priority`` with a confident signal; a mail whose best
signal is below ``min_confidence`` is "mail that may matter". Shipped phrases in
``data/rules.json``; an organization adds its own (``KeywordRule``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from linkstar.projects.rules import stage_move_allowed

RULES_FILE = Path(__file__).parent / "data" / "rules.json"
STAGES = ("needs_info", "opened", "rejected", "under_review")
RESULTS_BY = ("sms", "seller_centre", "sms_and_seller_centre")

# Where a phrase comes from: its starting weight (rules.json "weights").
PLATFORM, COMMON, WEAK, OWN = "platform", "common", "weak", "own"


@lru_cache(maxsize=1)
def shipped() -> dict:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def priority() -> list[str]:
    return list(shipped().get("priority", STAGES))


def min_confidence() -> int:
    """The confidence from which a mail proposes a stage (``LINKSTAR_MAIL_MIN_CONFIDENCE``
    overrides the shipped value)."""
    value = getattr(settings, "LINKSTAR_MAIL_MIN_CONFIDENCE", None)
    return int(value if value is not None else shipped().get("min_confidence", 70))


def _weight(name: str) -> int:
    return int(shipped().get("weights", {}).get(name, 0))


def _platform(platform_code: str) -> dict:
    return shipped()["platforms"].get(platform_code or "", {})


def sender_domains(platform_code: str) -> list[str]:
    return list(_platform(platform_code).get("sender_domains", []))


def results_by(platform_code: str) -> str:
    """Where the platform mostly tells registration results instead of mail ("" when by mail)."""
    value = _platform(platform_code).get("results_by", "")
    return value if value in RESULTS_BY else ""


def _domain(address: str) -> str:
    return (address or "").rpartition("@")[2].strip().lower().rstrip(".>")


def platform_of_sender(address: str) -> str:
    """The platform whose domain (or a subdomain of it) sent from ``address``, or ""."""
    domain = _domain(address)
    if not domain:
        return ""
    best, best_len = "", 0
    for code, data in shipped()["platforms"].items():
        for known in data.get("sender_domains", []):
            if (domain == known or domain.endswith("." + known)) and len(known) > best_len:
                best, best_len = code, len(known)
    return best


@dataclass(frozen=True)
class Phrase:
    stage: str
    text: str
    source: str = COMMON  # platform | common | weak | own


def phrase_book(platform_code: str, own: list[tuple[str, str]] = ()) -> list[Phrase]:
    """The phrases a mail of ``platform_code`` is read with: the organization's own and the
    platform's first, then the generic ones. A platform without rules gets the generic ones."""
    data = shipped()
    mine = _platform(platform_code)
    book = [Phrase(stage, text, OWN) for stage, text in own if stage in STAGES and text]
    for stage in STAGES:
        book += [Phrase(stage, t, PLATFORM) for t in mine.get(stage, [])]
    for stage in STAGES:
        book += [Phrase(stage, t, COMMON) for t in data.get("common", {}).get(stage, [])]
        book += [Phrase(stage, t, WEAK) for t in data.get("weak", {}).get(stage, [])]
    return book


# --- cutting a mail down to what it says -----------------------------------------------------

_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*original message\s*-{2,}|-{2,}\s*原始邮件\s*-{2,}|on\b.{0,200}\bwrote:\s*$"
    r"|在.{0,100}写道[:：]\s*$|发件人\s*[:：]|from:\s.*\bsent:|_{10,}\s*$)",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|-{2,}\s*转发的?邮件\s*-{2,}"
    r"|-{2,}\s*转发邮件信息\s*-{2,})",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(
    r"^\s*(?:from|to|cc|date|sent|subject|reply-to|发件人|收件人|抄送|日期|时间|发送时间|主题)\s*[:：]",
    re.IGNORECASE,
)
_WROTE_TAIL = re.compile(r"\bwrote:\s*$|写道[:：]\s*$", re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s*$")
FOOTER_MARKERS = (
    "unsubscribe",
    "privacy notice",
    "privacy policy",
    "privacy statement",
    "©",
    "(c) 20",
    "copyright",
    "all rights reserved",
    "this email was sent to",
    "this message was sent to",
    "this e-mail was sent",
    "do not reply",
    "don't reply",
    "not monitored",
    "automatically generated",
    "auto-generated",
    "you are receiving this",
    "you received this",
    "email preferences",
    "notification settings",
    "退订",
    "隐私政策",
    "隐私声明",
    "隐私权",
    "版权所有",
    "请勿回复",
    "请勿直接回复",
    "系统自动发送",
    "自动发送，",
    "取消订阅",
)


def body_lines(text: str, *, forwarded: bool = False) -> list[str]:
    """The lines of the mail's own text: quoted earlier mail and what follows a signature
    delimiter are cut; a forwarded message counts, without its header lines. In a forward
    (``forwarded``: its subject says "Fwd:" / "转发："), a "From: … Sent:" or "发件人：" block is
    the forwarded mail, not a quote."""
    kept: list[str] = []
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    in_forward_header = False
    for i, line in enumerate(lines):
        if _FORWARD.match(line) or (forwarded and _HEADER_LINE.match(line) and not kept[-1:]):
            in_forward_header = True
            continue
        if forwarded and _QUOTE_START.match(line) and not _WROTE_TAIL.search(line):
            in_forward_header = True
            continue
        if in_forward_header:
            if _HEADER_LINE.match(line) or not line.strip():
                continue
            in_forward_header = False
        if line.lstrip().startswith(">"):
            continue
        if _SIGNATURE.match(line) or _QUOTE_START.match(line):
            break
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip().lower().startswith("on ") and _WROTE_TAIL.search(following):
            break  # "On Mon, 2 Nov 2026 at 10:00, Amazon <…>\nwrote:"
        kept.append(line)
    return kept


_SENTENCE_END = re.compile(
    r"(?<=[。！？!?；;])|(?<=[.])(?=\s)|\n\s*\n|\n(?=\s*(?:[-*•·]|\d+[.)、]))"
)


def _is_footer(sentence: str) -> bool:
    folded = sentence.casefold()
    return any(marker in folded for marker in FOOTER_MARKERS)


SHORT_LINE = 40


def _short_line_breaks(paragraph: str) -> list[str]:
    """A paragraph cut after each short line: hard-wrapped lines run on, a greeting, heading or
    sign-off ("Hello,", "Amazon Seller Identity Verification") stands alone."""
    chunks, current = [], []
    for line in paragraph.split("\n"):
        current.append(line)
        if len(line.strip()) < SHORT_LINE:
            chunks.append("\n".join(current))
            current = []
    if current:
        chunks.append("\n".join(current))
    return chunks


def sentences(text: str, *, forwarded: bool = False) -> list[str]:
    """The mail's own sentences, footers left out. A blank line ends a paragraph and so does a
    short line (a greeting, a heading, a sign-off); a longer line runs on (hard-wrapped text). A
    paragraph whose first sentence is a footer's is dropped whole."""
    paragraphs = re.split(r"\n\s*\n", "\n".join(body_lines(text, forwarded=forwarded)))
    found: list[str] = []
    for paragraph in paragraphs:
        parts = [
            " ".join(part.split())
            for chunk in _short_line_breaks(paragraph)
            for part in _SENTENCE_END.split(chunk)
            if part and part.strip()
        ]
        if not parts or _is_footer(parts[0]):
            continue
        found += [p for p in parts if not _is_footer(p)]
    return found


# --- what a sentence states -------------------------------------------------------------------

# A conditional opens a clause that runs to the end of the sentence ("If …, you will …").
_CONDITIONAL = re.compile(
    r"\b(?:if|unless|once|when|whenever|in case|in the event|provided that|should you|as soon as"
    r"|whether)\b|如果|假如|倘若|若是|若|一旦|只要|(?<![例比诸假譬])如(?![下何期实此上今同])",
    re.IGNORECASE,
)
# A time or future clause runs to the next comma ("After review, we are unable to approve …").
_TEMPORAL = re.compile(
    r"\b(?:after|before|until|upon|will|would|shall|going to|can only|may be|might|whose|who)\b"
    r"|将会|将于|将在|将被|即将|届时|会在|之前|以前"
    r"|\d+\s*(?:个)?(?:小时|天|日|周|星期|个月|月|年)(?:之|以)?后",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,，、:：—–]| - |\band\b|\bbut\b|但|并且|同时")
_NEGATION_EN = re.compile(
    r"\b(?:not|no|never|without|neither|nor|no longer)\b|n't\b", re.IGNORECASE
)
_DONE = {"finished", "completed", "done", "stopped"}
_NEGATION_ZH = re.compile(r"[未不没无非勿别]|尚未|无需|无须|不用|不必")
# "审核通过后", "开通时", "驳回的话": the phrase names a time or condition, not a fact.
_ZH_AFTER = re.compile(r"^\s*(?:之后|以后|后|时|的话|之前|前)")


def _clause_start(sentence: str, at: int) -> int:
    start = 0
    for m in _CLAUSE_END.finditer(sentence, 0, at):
        start = m.end()
    return start


def _clause_end(sentence: str, at: int) -> int:
    m = _CLAUSE_END.search(sentence, at)
    return m.start() if m else len(sentence)


def _hypothetical(sentence: str, start: int, end: int) -> bool:
    """The phrase at ``sentence[start:end]`` is inside a conditional, time or future clause."""
    for m in _CONDITIONAL.finditer(sentence, 0, start + 1):
        if m.start() <= start:
            return True
    for m in _TEMPORAL.finditer(sentence, 0, start + 1):
        if m.start() <= start < _clause_end(sentence, m.end()):
            return True
    return bool(_ZH_AFTER.match(sentence[end : end + 3]))


def _negated(sentence: str, start: int, phrase: str) -> bool:
    clause = sentence[_clause_start(sentence, start) : start]
    words = clause.split()[-4:]
    if _NEGATION_EN.search(" ".join(words)):
        return True
    if words and words[-1] in _DONE:  # "we've finished reviewing your shop"
        return True
    return bool(_NEGATION_ZH.search(clause[-4:])) and not _NEGATION_ZH.match(phrase)


def states(sentence: str, phrase: str) -> bool:
    """The sentence states the phrase as a fact: some occurrence of it is neither hypothetical
    nor negated, and the sentence is not a question."""
    folded, needle = sentence.casefold(), phrase.casefold()
    if not needle or needle not in folded:
        return False
    if folded.rstrip().endswith(("?", "？")):
        return False
    at = folded.find(needle)
    while at >= 0:
        end = at + len(needle)
        if not _hypothetical(folded, at, end) and not _negated(folded, at, needle):
            return True
        at = folded.find(needle, at + 1)
    return False


# --- the kind of mail -------------------------------------------------------------------------

_PREFIX = re.compile(r"^\s*(?:(?:re|aw|fw|fwd|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fw|fwd|转发)\s*[:：]", re.IGNORECASE)
_REPLY = re.compile(r"^\s*(?:re|aw|回复|答复)\s*[:：]", re.IGNORECASE)


def quiet_kind(*, subject: str, sender: str) -> bool:
    """Newsletters, security notices, policy updates and marketing: they propose nothing."""
    quiet = shipped().get("quiet", {})
    folded = _PREFIX.sub("", subject or "").casefold()
    if any(marker in folded for marker in quiet.get("subjects", [])):
        return True
    local, _at, domain = (sender or "").casefold().rpartition("@")
    names = re.split(r"[.\-_+]", local) + domain.split(".")[:-2]
    return any(name in names for name in quiet.get("senders", []))


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    stage: str
    phrase: str
    sentence: str
    confidence: int
    in_subject: bool = False


@dataclass
class Reading:
    """What a mail says: its counted signals, best first per stage, and the stage it proposes
    (``stage``, ``sentence``, ``confidence``; ``confident`` when at or above the bar)."""

    signals: list[Signal] = field(default_factory=list)
    quiet: bool = False
    stage: str = ""
    phrase: str = ""
    sentence: str = ""
    confidence: int = 0
    confident: bool = False


def _base(phrase: Phrase) -> int:
    return _weight(PLATFORM if phrase.source == OWN else phrase.source)


def _find(texts: list[tuple[str, bool]], book: list[Phrase], bonus: int) -> dict[str, list[Signal]]:
    by_stage: dict[str, list[Signal]] = {}
    heaviest_first = sorted(book, key=_base, reverse=True)
    for sentence, in_subject in texts:
        taken: set[str] = set()  # one signal per stage and sentence, the heaviest phrase
        for phrase in heaviest_first:
            if phrase.stage in taken or not states(sentence, phrase.text):
                continue
            taken.add(phrase.stage)
            score = _base(phrase) + bonus + (_weight("subject") if in_subject else 0)
            by_stage.setdefault(phrase.stage, []).append(
                Signal(phrase.stage, phrase.text, sentence, score, in_subject)
            )
    return by_stage


def read_mail(*, subject: str, text: str, sender: str, platform_code: str, book) -> Reading:
    """Read one mail of ``platform_code`` sent by ``sender`` with the phrases of ``book``."""
    if quiet_kind(subject=subject, sender=sender):
        return Reading(quiet=True)
    bonus = 0
    sender_platform = platform_of_sender(sender)
    if sender_platform and sender_platform == platform_code:
        bonus += _weight("platform_sender")
    elif not sender_platform:
        bonus += _weight("unknown_sender")
    texts = [
        (s, False) for s in sentences(text, forwarded=bool(_FORWARD_SUBJECT.match(subject or "")))
    ]
    # A reply's subject is the earlier mail's: it says nothing new.
    subject_text = "" if _REPLY.match(subject or "") else _PREFIX.sub("", subject or "")
    if subject_text.strip():
        texts.insert(0, (" ".join(subject_text.split()), True))
    by_stage = _find(texts, book, bonus)
    best: dict[str, Signal] = {}
    contradicted = "rejected" in by_stage and "opened" in by_stage
    for stage, found in by_stage.items():
        top = max(found, key=lambda s: (s.confidence, s.in_subject))
        score = top.confidence
        if len({s.sentence for s in found}) > 1:
            score += _weight("repeated")
        if contradicted and stage in ("rejected", "opened"):
            score += _weight("contradicted")  # "approved" and "rejected" in one mail
        score = max(0, min(100, score))
        best[stage] = Signal(stage, top.phrase, top.sentence, score, top.in_subject)
    return Reading(signals=[best[s] for s in priority() if s in best])


def decide(reading: Reading, *, current_stage: str | None = None) -> Reading:
    """The stage the reading proposes: the first stage in priority order with a confident
    signal (that the stage machine allows from ``current_stage``, when given); else the best
    signal, not confident (mail that may matter)."""
    bar = min_confidence()
    allowed = [
        s
        for s in reading.signals
        if current_stage is None or stage_move_allowed(current_stage, s.stage)
    ]
    confident = _returned_for_correction([s for s in allowed if s.confidence >= bar])
    if confident:
        chosen, ok = confident[0], True
    elif allowed:
        chosen, ok = max(allowed, key=lambda s: s.confidence), False
    else:
        return reading
    reading.stage, reading.phrase = chosen.stage, chosen.phrase
    reading.sentence, reading.confidence, reading.confident = chosen.sentence, chosen.confidence, ok
    return reading


def _returned_for_correction(confident: list[Signal]) -> list[Signal]:
    """A rejection that asks for a correction and a resubmission ("审核未通过……请修改后重新提交")
    is a return for correction (驳回 = 需补料): the correction goes first."""
    stages = {s.stage: s for s in confident}
    if "rejected" not in stages or "needs_info" not in stages:
        return confident
    corrections = [c.casefold() for c in shipped().get("corrections", [])]
    asked = stages["needs_info"]
    if not any(c in asked.sentence.casefold() or c in asked.phrase for c in corrections):
        return confident
    return [asked, *(s for s in confident if s.stage != "needs_info")]


@dataclass(frozen=True)
class Match:
    stage: str
    phrase: str
    sentence: str = ""
    confidence: int = 0


def propose(
    *,
    subject: str,
    text: str,
    current_stage: str,
    phrases,
    sender: str = "",
    platform_code: str = "",
) -> Match | None:
    """The confident stage the message proposes that the stage machine allows from
    ``current_stage``, if any. ``phrases``: a ``phrase_book`` or (stage, phrase) pairs (read as
    the platform's own)."""
    book = [p if isinstance(p, Phrase) else Phrase(p[0], p[1], OWN) for p in phrases]
    reading = decide(
        read_mail(
            subject=subject, text=text, sender=sender, platform_code=platform_code, book=book
        ),
        current_stage=current_stage,
    )
    if not reading.confident:
        return None
    return Match(reading.stage, reading.phrase, reading.sentence, reading.confidence)
