"""Store projects (开店项目), their tasks, stage history, comments and mentions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from linkstar.core.models import OrgOwned, TimeStamped, Versioned


class Stage(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    UNDER_REVIEW = "under_review", _("Under review")
    NEEDS_INFO = "needs_info", _("Needs information")
    OPENED = "opened", _("Opened")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("project status", "Active")
    CLOSED = "closed", pgettext_lazy("project status", "Closed")


class TaskStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Not applicable")


FINISHED_TASK_STATUSES = (TaskStatus.DONE, TaskStatus.SKIPPED)


class ProjectCodeSequence(models.Model):
    """The last number handed out per organization and code prefix (``AMZ-US``)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    prefix = models.CharField(max_length=24)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "prefix"], name="uniq_code_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class StoreProject(OrgOwned, Versioned):
    code = models.CharField(_("code"), max_length=32)
    store_name = models.CharField(_("store name"), max_length=200)
    site = models.ForeignKey("catalog.Site", on_delete=models.PROTECT, related_name="+")
    entity = models.ForeignKey(
        "entities.SellerEntity", on_delete=models.PROTECT, related_name="projects"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="projects")
    template_version = models.ForeignKey(
        "playbooks.TemplateVersion", on_delete=models.PROTECT, related_name="projects"
    )
    start_date = models.DateField(_("start date"))
    planned_finish = models.DateField(_("planned finish"))
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PREPARING
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Denormalised counters kept by the services, so lists need no per-row aggregation.
    task_count = models.PositiveIntegerField(default=0)
    finished_task_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("store project")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_project_code")
        ]
        indexes = [
            models.Index(fields=["organization", "stage"]),
            models.Index(fields=["organization", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.store_name}"

    @property
    def progress(self) -> int:
        if not self.task_count:
            return 0
        return round(100 * self.finished_task_count / self.task_count)


def checklist_items(texts: list[str], texts_en: list[str], *, ticked=frozenset()) -> list[dict]:
    """A task's checklist from a blueprint's: ``{"text", "text_en"?, "done"}`` per item, the
    English text where the blueprint has one, done where ``ticked`` holds the text."""
    english = list(texts_en or [])
    items = []
    for i, text in enumerate(texts):
        item = {"text": text, "done": text in ticked}
        if i < len(english) and english[i]:
            item["text_en"] = english[i]
        items.append(item)
    return items


class Task(OrgOwned, Versioned):
    project = models.ForeignKey(StoreProject, on_delete=models.CASCADE, related_name="tasks")
    key = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    phase = models.CharField(max_length=16)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.TODO)
    role = models.CharField(max_length=16, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    approval_levels = models.PositiveSmallIntegerField(default=0)
    document_types = models.JSONField(default=list)
    # [{"text": str, "done": bool}]
    checklist = models.JSONField(default=list)
    sets_stage = models.CharField(max_length=16, blank=True)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependants", blank=True
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["project_id", "position"]
        verbose_name = _("task")
        indexes = [
            models.Index(fields=["project", "position"]),
            models.Index(fields=["organization", "assignee", "status"]),
            models.Index(fields=["organization", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title

    @property
    def checklist_items(self) -> list[dict]:
        """The checklist as a person reads it: each item's text in the interface language."""
        english = (get_language() or "").startswith("en")
        return [
            {**item, "text": (item.get("text_en") if english else None) or item.get("text", "")}
            for item in self.checklist
        ]

    @property
    def is_open(self) -> bool:
        return self.status not in FINISHED_TASK_STATUSES


class StageChange(models.Model):
    project = models.ForeignKey(
        StoreProject, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["project_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} → {self.to_stage}"


class Comment(OrgOwned):
    project = models.ForeignKey(StoreProject, on_delete=models.CASCADE, related_name="comments")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    # Internal to the agency unless shared with the client (a client's own comments always are).
    for_client = models.BooleanField(_("shown to the client"), default=False)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Mention", related_name="+")

    class Meta:
        ordering = ["created_at", "id"]


class Mention(TimeStamped):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="uniq_mention")]
