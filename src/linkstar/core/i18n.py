"""Compiling the translations shipped as ``.po`` files (each app's ``locale/``) into ``.mo``.

Done by ``linkstar init`` and the test suite with polib, so a fresh install shows Chinese without
GNU gettext on the machine.
"""

from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_messages(root: Path = ROOT) -> int:
    """Write every stale ``.mo``; returns how many were written."""
    written = 0
    for po_path in root.glob("*/locale/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written += 1
    return written
