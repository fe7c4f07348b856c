"""Text as people meant it: control characters (other than tab, line feed and carriage return)
removed on the way in.

A control character pasted into a store name, a task title or a note is invisible on a page,
breaks a search, cannot be written to an ``.xlsx`` file and can garble a chat message. Every
text a model of LinkStar saves loses them (``clean_saved_texts``, on ``pre_save``), and every
string of an API body (``clean_strings``) — which also covers the paths that bulk-insert.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return CONTROL.sub("", value) if CONTROL.search(value) else value


def clean_strings(data: Any) -> Any:
    """``data`` (parsed JSON) with every string cleaned, keys included."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_strings(k): clean_strings(v) for k, v in data.items()}
    if isinstance(data, list):
        return [clean_strings(v) for v in data]
    return data


# Hash-chained audit rows are written exactly as their hash was computed; what they quote was
# cleaned when it was saved.
UNCLEANED_APPS = {"audit"}


def clean_saved_texts(sender, instance, raw=False, **kwargs) -> None:
    """``pre_save``: the text fields of a LinkStar model lose their control characters."""
    meta = sender._meta
    if raw or meta.app_label in UNCLEANED_APPS or not sender.__module__.startswith("linkstar."):
        return
    for field in meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str) and CONTROL.search(value):
                setattr(instance, field.attname, CONTROL.sub("", value))
