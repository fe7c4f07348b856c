"""SOP templates (开店模板), their versions, and the task blueprints a version holds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from linkstar.core.models import TimeStamped, Versioned


class Phase(models.TextChoices):
    DOCUMENTS = "documents", _("Document preparation")
    REGISTRATION = "registration", _("Registration")
    REVIEW = "review", _("Platform review")
    LAUNCH = "launch", _("Launch")


class Template(TimeStamped):
    # NULL organization: a built-in template shipped with LinkStar, visible to every organization.
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.SlugField(max_length=64, blank=True)  # stable key of a built-in template
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    site = models.ForeignKey("catalog.Site", on_delete=models.PROTECT, related_name="+")
    sites = models.ManyToManyField("catalog.Site", related_name="templates", blank=True)
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="clones"
    )
    # When the template's facts were last checked against its sources, and the sources: a list of
    # {"title", "url"?} (a built-in template's file carries both).
    reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    sources = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["organization_id", "name"]
        verbose_name = _("SOP template")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(organization__isnull=True),
                name="uniq_builtin_key",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def builtin(self) -> bool:
        return self.organization_id is None

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class TemplateVersion(TimeStamped, Versioned):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["template_id", "number"]
        verbose_name = _("template version")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="uniq_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"

    @property
    def organization_id(self):
        return self.template.organization_id


# The fields of a blueprint as the API and the shipped files spell them.
BLUEPRINT_FIELDS = (
    "key",
    "title",
    "title_en",
    "description",
    "description_en",
    "phase",
    "offset_days",
    "duration_days",
    "depends_on",
    "role",
    "document_types",
    "approval_levels",
    "checklist",
    "checklist_en",
    "sets_stage",
)


class TaskBlueprint(models.Model):
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.CASCADE, related_name="blueprints"
    )
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=64)
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    phase = models.CharField(max_length=16, choices=Phase.choices)
    offset_days = models.IntegerField(default=0)
    duration_days = models.IntegerField(default=1)
    depends_on = models.JSONField(default=list)  # keys of blueprints of the same version
    role = models.CharField(max_length=16, blank=True)
    document_types = models.JSONField(default=list)  # catalog document type codes
    approval_levels = models.PositiveSmallIntegerField(default=0)
    checklist = models.JSONField(default=list)  # list of strings
    # The same items in English, position for position (empty: Chinese only).
    checklist_en = models.JSONField(default=list, blank=True)
    sets_stage = models.CharField(max_length=16, blank=True)

    class Meta:
        # Keys are unique in a published version; a draft may hold duplicates until publishing
        # names them, so that an editor can save work in progress.
        ordering = ["template_version_id", "position"]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"


class SiteDefaultTemplate(TimeStamped):
    """The template an organization's batch uses for a site when a row names none (set on the
    templates page): one per organization and site."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    site = models.ForeignKey("catalog.Site", on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="default_for")

    class Meta:
        verbose_name = _("default template of a site")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "site"], name="uniq_site_default_template"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site_id} → {self.template}"


def blueprint_as_dict(bp: TaskBlueprint) -> dict:
    """A blueprint as the API, the editor, the diff and the archives read it."""
    data = {f: getattr(bp, f) for f in BLUEPRINT_FIELDS}
    data["role"] = data["role"] or None
    data["sets_stage"] = data["sets_stage"] or None
    return data
