"""What the reports and forecasts read instead of the whole history: one row of facts per
project (kept up to date by the services that change a project, and rebuilt nightly), and the
nightly aggregates of steps and approval decisions (histograms, so medians need no raw rows)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class ForecastBasis(models.TextChoices):
    SITE = "site", pgettext_lazy("forecast basis", "this site's history")
    PLATFORM = "platform", pgettext_lazy("forecast basis", "this platform's history")
    PLAN = "plan", pgettext_lazy("forecast basis", "the template's plan")


class ProjectFact(models.Model):
    project = models.OneToOneField(
        "projects.StoreProject", primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    site = models.ForeignKey("catalog.Site", on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey("catalog.Platform", on_delete=models.PROTECT, related_name="+")
    manager_id = models.IntegerField(null=True)
    entity_id = models.IntegerField()
    template_id = models.IntegerField()
    template_version_id = models.IntegerField()
    stage = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    start_date = models.DateField()
    planned_finish = models.DateField(null=True)
    submitted_on = models.DateField(null=True)  # first move to 审核中
    result_on = models.DateField(null=True)  # first 已开通 or 未通过 after it
    opened_on = models.DateField(null=True)
    rejected_count = models.PositiveSmallIntegerField(default=0)
    needs_info_count = models.PositiveSmallIntegerField(default=0)
    forecast_p50 = models.DateField(null=True)
    forecast_p80 = models.DateField(null=True)
    forecast_basis = models.CharField(max_length=10, choices=ForecastBasis.choices, blank=True)
    forecast_history = models.PositiveIntegerField(default=0)
    slipping = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "start_date"]),
            models.Index(fields=["organization", "site", "opened_on"]),
            models.Index(fields=["organization", "platform", "opened_on"]),
        ]

    def __str__(self) -> str:
        return f"facts of project {self.project_id}"


class StepStat(models.Model):
    """Finished steps of one template version's step, on one site, finished in one month: how
    many, how many on time, and how many days late or early they ran against their plan."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    template_version_id = models.IntegerField()
    key = models.CharField(max_length=64)
    site_id = models.IntegerField()
    month = models.DateField()  # the first day of the month the steps were finished in
    finished = models.PositiveIntegerField()
    on_time = models.PositiveIntegerField()
    overrun = models.JSONField(default=dict)  # {"days over the plan": how many steps}

    class Meta:
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.key} of version {self.template_version_id}, {self.month:%Y-%m}"


class ApprovalStat(models.Model):
    """Decisions at one approval level on projects of one site in one month: the hours each took
    since the request (level 1) or the previous level's decision."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField()
    site_id = models.IntegerField()
    month = models.DateField()
    hours = models.JSONField(default=dict)  # {"hours, rounded up": how many decisions}

    class Meta:
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"approval level {self.level}, {self.month:%Y-%m}"


class Rebuild(models.Model):
    """When the nightly aggregates of an organization were last built."""

    organization = models.OneToOneField(
        "accounts.Organization", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return (
            f"reports of organization {self.organization_id} built {self.built_at:%Y-%m-%d %H:%M}"
        )
