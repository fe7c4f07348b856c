"""The words of the audit events of SOP templates and their versions."""

from __future__ import annotations

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.audit import labels
from linkstar.playbooks.models import Phase, VersionStatus


def _template_text(value) -> str:
    """``[template id, version number]`` → "template 3, version 2"."""
    if isinstance(value, list) and len(value) == 2:
        return _g("template %(id)s, version %(n)s") % {"id": value[0], "n": value[1]}
    return str(value)


labels.register(
    actions={
        "template.created": _("Template created"),
        "template.cloned": _("Template cloned"),
        "template.draft_saved": _("Template draft saved"),
        "template.published": _("Template version published"),
        "template.retired": _("Template version retired"),
        "template.version_created": _("New template draft version"),
    },
    groups={"template.": _("Templates: all")},
    object_types={
        "template": pgettext_lazy("audit", "Template"),
        "templateversion": pgettext_lazy("audit", "Template version"),
    },
    fields={
        "template": pgettext_lazy("audit", "Template"),
        "template_version": pgettext_lazy("audit", "Template version"),
        "clone_from": pgettext_lazy("audit", "Cloned from"),
        "number": pgettext_lazy("audit", "Version"),
    },
    values={"status": {"templateversion": VersionStatus.choices}, "phase": Phase.choices},
    formatters={"template": _template_text},
)
