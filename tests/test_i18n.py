"""Chinese is the default language and must be complete: every app's .po has every msgid of its
code and templates, each translated."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "linkstar"
APPS = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "apps.py").exists())


def _po(app: str) -> Path:
    return SRC / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _has_text(app: str) -> bool:
    root = SRC / app
    if (root / "templates").exists():
        return True
    return any("gettext" in p.read_text(encoding="utf-8") for p in root.rglob("*.py"))


@pytest.mark.parametrize("app", APPS)
def test_every_app_with_user_facing_text_has_a_complete_chinese_catalog(app):
    if not _has_text(app):
        pytest.skip(f"{app} has no user-facing text")
    po_path = _po(app)
    assert po_path.exists(), f"{app} has no zh_Hans catalog (run makemessages in its folder)"
    po = polib.pofile(str(po_path))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == [], f"{app}: untranslated: {missing[:10]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("app", APPS)
def test_every_app_catalog_is_up_to_date_with_its_sources(app, tmp_path):
    if not _has_text(app):
        pytest.skip(f"{app} has no user-facing text")
    copy = tmp_path / app
    shutil.copytree(SRC / app, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    (copy / "locale").mkdir(exist_ok=True)
    env_python = Path(sys.executable).parent / "linkstar"
    subprocess.run(
        [str(env_python), "manage", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "LINKSTAR_DATA_DIR": str(tmp_path / "data")},
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    shipped = (
        {e.msgid for e in polib.pofile(str(_po(app))) if not e.obsolete}
        if _po(app).exists()
        else set()
    )
    assert sorted(fresh - shipped) == [], f"{app}: strings not in the catalog yet"
