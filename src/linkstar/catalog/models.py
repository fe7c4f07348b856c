"""The shipped catalog: platforms, sites, document types. Read-only for users."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        lang = (get_language() or "zh-hans").lower()
        if lang.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Platform(Bilingual):
    code = models.SlugField(max_length=40, unique=True)
    code_prefix = models.CharField(max_length=8)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("platform")


class Site(Bilingual):
    code = models.SlugField(max_length=40, unique=True)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="sites")
    country = models.CharField(max_length=8)
    currency = models.CharField(max_length=3)
    language = models.CharField(max_length=16)
    rules = models.JSONField(default=dict)
    review_days = models.PositiveIntegerField(default=7)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["platform__position", "position", "code"]
        verbose_name = _("site")

    @property
    def code_prefix(self) -> str:
        return f"{self.platform.code_prefix}-{self.country}"


class DocumentType(Bilingual):
    code = models.SlugField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("document type")
