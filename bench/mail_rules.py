"""How well LinkStar reads platform mail: precision and recall per stage over the labelled
corpus of tests/platformmail/corpus (issue 13 §2).

    .venv/bin/python bench/mail_rules.py              # the table
    .venv/bin/python bench/mail_rules.py --misread    # + every mail read wrong, with its sentence

No database: the reading is pure. Bar: precision >= 0.95 on rejected and >= 0.9 overall,
recall >= 0.85 (asserted by tests/platformmail/test_corpus.py).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
from pathlib import Path


def setup() -> None:
    os.environ.setdefault("LINKSTAR_DATA_DIR", tempfile.mkdtemp(prefix="linkstar-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "linkstar.settings"
    src = Path(__file__).resolve().parents[1] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misread", action="store_true", help="list the mails read wrong")
    args = parser.parse_args()
    setup()
    from linkstar.platformmail import rules
    from linkstar.platformmail.evaluation import evaluate, load_corpus

    mails = load_corpus()
    per, overall, outcomes = evaluate(mails)
    kinds = collections.Counter(m["kind"] for m in mails)
    langs = collections.Counter(m["lang"] for m in mails)
    print(
        f"corpus: {len(mails)} mails, {len({m['platform'] for m in mails})} platforms; "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        + "; "
        + ", ".join(f"{k} {n}" for k, n in sorted(langs.items()))
    )
    print(f"proposal bar: confidence >= {rules.min_confidence()}")
    print(f"{'stage':<14}{'expected':>9}{'proposed':>9}{'right':>7}{'precision':>11}{'recall':>8}")
    for score in [*per.values(), overall]:
        print(
            f"{score.stage:<14}{score.expected:>9}{score.proposed:>9}{score.correct:>7}"
            f"{score.precision:>11.3f}{score.recall:>8.3f}"
        )
    quiet = [o for o in outcomes if not o.mail["expected"]]
    print(
        f"mails that should propose nothing: {len(quiet)}, of which proposed: "
        f"{sum(1 for o in quiet if o.proposed)}"
    )
    may_matter = [o for o in outcomes if not o.proposed and o.reading.stage]
    print(f"listed as mail that may matter (a signal below the bar): {len(may_matter)}")
    if args.misread:
        for o in outcomes:
            if not o.right:
                r = o.reading
                print(
                    f"- {o.mail['id']}: expected {o.mail['expected'] or '-'}, proposed "
                    f"{o.proposed or '-'} (best {r.stage or '-'} {r.confidence}: {r.sentence!r})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
