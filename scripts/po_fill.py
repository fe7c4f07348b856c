"""Fill translations into an app's .po file and list what is still untranslated.

    .venv/bin/python scripts/po_fill.py src/linkstar/<app>/locale/zh_Hans/LC_MESSAGES/django.po [translations.json]

translations.json maps msgid → msgstr (for plurals: msgid → [singular, plural] or a single string,
as Chinese has one form). Without a JSON file it only lists the untranslated entries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib


def main(po_path: str, json_path: str | None = None) -> int:
    po = polib.pofile(po_path)
    table = json.loads(Path(json_path).read_text(encoding="utf-8")) if json_path else {}
    for entry in po:
        if entry.msgid in table:
            value = table[entry.msgid]
            if entry.msgid_plural:
                forms = value if isinstance(value, list) else [value]
                entry.msgstr_plural = {0: forms[0]}
            else:
                entry.msgstr = value if isinstance(value, str) else value[0]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in missing:
        print("untranslated:", msgid)
    print(f"{po_path}: {len(po) - len(missing)} translated, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
