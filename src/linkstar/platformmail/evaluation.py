"""Measuring the mail reading against a labelled corpus (``tests/platformmail/corpus``): the
stage each mail proposes, and precision and recall per stage. Used by the corpus test and
``bench/mail_rules.py``; the corpus is mail written for the tests, with the stage a person
would propose (or none)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from linkstar.platformmail import rules

CORPUS_DIR = Path(__file__).resolve().parents[3] / "tests" / "platformmail" / "corpus"


def load_corpus(directory: Path = CORPUS_DIR) -> list[dict]:
    mails: list[dict] = []
    for path in sorted(directory.glob("*.json")):
        mails += json.loads(path.read_text(encoding="utf-8"))["mails"]
    return mails


def predict(mail: dict) -> rules.Reading:
    """What the reading proposes for one corpus mail (stage machine left out: the mail alone)."""
    return rules.decide(
        rules.read_mail(
            subject=mail["subject"],
            text=mail["body"],
            sender=mail["sender"],
            platform_code=mail["platform"],
            book=rules.phrase_book(mail["platform"]),
        )
    )


@dataclass
class StageScore:
    stage: str
    expected: int = 0
    proposed: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


@dataclass
class Outcome:
    mail: dict
    proposed: str  # "" when nothing confident
    reading: rules.Reading

    @property
    def right(self) -> bool:
        return self.proposed == (self.mail["expected"] or "")


def evaluate(mails: list[dict]) -> tuple[dict[str, StageScore], StageScore, list[Outcome]]:
    """Per stage and overall (every proposal of a stage counted once): precision = right
    proposals / proposals, recall = right proposals / mails that should propose."""
    per = {stage: StageScore(stage) for stage in rules.STAGES}
    outcomes = []
    for mail in mails:
        reading = predict(mail)
        proposed = reading.stage if reading.confident else ""
        expected = mail["expected"] or ""
        if expected:
            per[expected].expected += 1
        if proposed:
            per[proposed].proposed += 1
            per[proposed].correct += int(proposed == expected)
        outcomes.append(Outcome(mail, proposed, reading))
    overall = StageScore(
        "overall",
        expected=sum(s.expected for s in per.values()),
        proposed=sum(s.proposed for s in per.values()),
        correct=sum(s.correct for s in per.values()),
    )
    return per, overall, outcomes
