"""What each kind of import can fill, the header words (Chinese and English) that name each
field, and the parsers for the values people type in trackers: dates in every usual spelling
and as Excel serials, stages and task statuses by code or by Chinese/English label."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from linkstar.accounts.models import Role
from linkstar.archives.exports import PROJECT_COLUMNS
from linkstar.core.text import CONTROL
from linkstar.projects.models import Stage, TaskStatus

IGNORE = ""


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    synonyms: tuple[str, ...]
    required: bool = False


PROJECT_FIELDS = [
    Field(
        "store_name",
        _("Store name"),
        (
            "store name",
            "store",
            "shop name",
            "shop",
            "店铺名称",
            "店铺名",
            "店铺",
            "店名",
            "商店名称",
        ),
        required=True,
    ),
    Field("platform", _("Platform"), ("platform", "平台", "平台名称", "电商平台")),
    Field(
        "site",
        _("Site"),
        (
            "site",
            "site code",
            "site name",
            "marketplace",
            "market",
            "站点",
            "站点代码",
            "站点名称",
            "国家站点",
            "站点/国家",
            "开店站点",
            "国家/站点",
        ),
        required=True,
    ),
    Field(
        "entity",
        _("Seller entity"),
        (
            "seller entity",
            "entity",
            "company",
            "legal entity",
            "主体",
            "公司主体",
            "开店主体",
            "公司",
            "公司名称",
            "主体名称",
            "主体公司",
            "卖家主体",
        ),
        required=True,
    ),
    Field(
        "entity_number",
        _("Entity registration number"),
        ("registration number", "统一社会信用代码", "信用代码", "注册号", "营业执照号"),
    ),
    Field(
        "manager",
        _("Manager (name or email)"),
        (
            "manager",
            "project manager",
            "pm",
            "项目经理",
            "经理",
            "负责人",
            "运营负责人",
            "项目负责人",
        ),
    ),
    Field(
        "manager_email",
        _("Manager email"),
        ("manager email", "manager e-mail", "经理邮箱", "负责人邮箱", "项目经理邮箱"),
    ),
    Field(
        "start_date",
        _("Start date"),
        ("start date", "start", "开始日期", "启动日期", "开始时间", "计划开始", "开始"),
    ),
    Field("stage", _("Stage"), ("stage", "status", "阶段", "状态", "店铺状态", "当前阶段", "进度")),
    Field(
        "template",
        _("Template"),
        ("template", "sop", "sop template", "模板", "开店模板", "sop模板"),
    ),
    Field("template_version", _("Template version"), ("template version", "模板版本", "版本")),
]

ENTITY_FIELDS = [
    Field(
        "name",
        _("Name"),
        (
            "name",
            "entity",
            "seller entity",
            "company",
            "company name",
            "主体",
            "主体名称",
            "公司名称",
            "公司",
            "企业名称",
        ),
        required=True,
    ),
    Field("name_en", _("Name in Latin letters"), ("name en", "english name", "英文名", "英文名称")),
    Field(
        "registration_number",
        _("Registration number"),
        ("registration number", "统一社会信用代码", "信用代码", "注册号", "营业执照号"),
    ),
    Field("country", _("Country"), ("country", "国家", "注册国家", "国家/地区")),
    Field(
        "registered_address",
        _("Registered address"),
        ("registered address", "address", "注册地址", "地址"),
    ),
    Field(
        "licence_expiry",
        _("Licence expiry"),
        (
            "licence expiry",
            "license expiry",
            "营业执照到期",
            "执照到期日",
            "执照有效期",
            "营业期限",
        ),
    ),
    Field(
        "legal_rep_name",
        _("Legal representative"),
        ("legal representative", "legal rep", "法人", "法定代表人", "法人姓名"),
    ),
    Field(
        "legal_rep_id_number",
        _("Legal representative ID number"),
        (
            "legal representative id number",
            "legal rep id",
            "法人身份证号",
            "法人身份证",
            "身份证号",
        ),
    ),
    Field("notes", _("Notes"), ("notes", "note", "remarks", "备注")),
]

MEMBER_FIELDS = [
    Field(
        "email", _("Email"), ("email", "e-mail", "mail", "邮箱", "电子邮箱", "邮件"), required=True
    ),
    Field("name", _("Name"), ("name", "full name", "姓名", "名字", "成员")),
    Field("role", _("Role"), ("role", "角色", "岗位", "权限"), required=True),
    Field("password", _("Initial password"), ("password", "initial password", "密码", "初始密码")),
    Field("entity", _("Seller entity (clients)"), ("seller entity", "entity", "主体", "客户主体")),
]

FIELDS = {"projects": PROJECT_FIELDS, "entities": ENTITY_FIELDS, "members": MEMBER_FIELDS}

TASK_ATTRIBUTES = {
    "status": ("status", "state", "状态", "进度", "完成情况", "是否完成"),
    "assignee": ("assignee", "owner", "负责人", "执行人", "经办人", "处理人"),
    "due": ("due", "due date", "deadline", "截止", "截止日期", "截止时间", "到期日", "期限"),
}


def clean_text(value) -> str:
    """NFKC (full-width → plain), no zero-width or non-breaking oddities nor control
    characters, single spaces."""
    text = CONTROL.sub("", unicodedata.normalize("NFKC", str(value)))
    text = text.replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


def norm(text) -> str:
    """A header or name as compared: NFKC, lower case, no spaces, no punctuation around."""
    return re.sub(r"[\s_:：()（）\[\]【】*]+", "", clean_text(text).lower())


def field_label(kind: str, name: str) -> str:
    if name.startswith("task:"):
        return name
    for f in FIELDS.get(kind, []):
        if f.name == name:
            return str(f.label)
    return name


def _export_labels() -> dict[str, set[str]]:
    """The headers of the project export (``archives``), in both languages, so that an export
    maps back onto the same fields."""

    keys = {
        "store_name": "store_name",
        "site": "site",
        "entity": "entity",
        "manager_email": "manager_email",
        "template": "template",
        "template_version": "template_version",
        "start_date": "start_date",
        "stage": "stage",
    }
    labels: dict[str, set[str]] = {}
    for column in PROJECT_COLUMNS:
        target = keys.get(column.key)
        if target is None:
            continue
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels.setdefault(target, set()).add(norm(str(column.label)))
    return labels


@cache
def synonyms(kind: str) -> dict[str, str]:
    """Normalised header → field, for one kind."""
    out: dict[str, str] = {}
    if kind == "projects":
        for target, labels in _export_labels().items():
            for label in labels:
                out.setdefault(label, target)
    for f in FIELDS[kind]:
        out.setdefault(norm(f.name), f.name)
        for word in f.synonyms:
            out.setdefault(norm(word), f.name)
        for language in ("zh-hans", "en"):
            with translation.override(language):
                out.setdefault(norm(str(f.label)), f.name)
    return out


@cache
def header_vocabulary() -> frozenset[str]:
    """Every header word any import knows (lower-cased, NFKC): to find the header row."""
    words = set()
    for kind in FIELDS:
        for f in FIELDS[kind]:
            words.add(f.name.lower())
            words.update(w.lower() for w in f.synonyms)
    for attribute_words in TASK_ATTRIBUTES.values():
        words.update(w.lower() for w in attribute_words)
    for labels in _export_labels().values():
        words.update(labels)
    return frozenset(words)


def task_column(header: str, blueprints: dict[str, str]) -> str | None:
    """``task:<key>:<attribute>`` when the header names a task (by key or title) and maybe an
    attribute ("营业执照 负责人", "prepare-license due"); a bare task name is its status."""
    text = norm(header)
    if not text:
        return None
    for key, title in blueprints.items():
        for name in sorted({norm(key), norm(title)} - {""}, key=len, reverse=True):
            if not text.startswith(name) and not text.endswith(name):
                continue
            rest = text[len(name) :] if text.startswith(name) else text[: -len(name)]
            if not rest:
                return f"task:{key}:status"
            for attribute, words in TASK_ATTRIBUTES.items():
                if rest in {norm(w) for w in words}:
                    return f"task:{key}:{attribute}"
    return None


# --- values ---------------------------------------------------------------------------------


_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:\s.*)?$"), ("m", "d", "y")),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), ("y", "m", "d")),
]


def parse_date(value) -> dt.date:
    """A date from a cell: ISO and "2026/3/5", "2026年3月5日", US "3/5/2026", "20260305",
    a real date, or an Excel serial day number. ``ValueError`` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel serials: 1900-01-01 … 9999-12-31
            return from_excel(value).date()
        raise ValueError(value)
    text = clean_text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            return dt.date(parts["y"], parts["m"], parts["d"])
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return parse_date(float(text))
    raise ValueError(text)


STAGE_WORDS = {
    "preparing": (
        "preparing",
        "待提交",
        "准备中",
        "资料准备",
        "准备",
        "未提交",
        "筹备中",
        "prepare",
    ),
    "under_review": (
        "under review",
        "审核中",
        "已提交",
        "审核",
        "submitted",
        "in review",
        "review",
    ),
    "needs_info": ("needs info", "needs information", "需补料", "补充资料", "补料", "待补料"),
    "opened": ("opened", "open", "已开通", "开通", "已下店", "下店", "成功", "launched", "live"),
    "rejected": ("rejected", "被拒", "已拒绝", "拒绝", "审核失败", "失败"),
    "cancelled": ("cancelled", "canceled", "已取消", "取消"),
}

TASK_STATUS_WORDS = {
    "todo": ("todo", "to do", "待开始", "未开始", "待办", "not started", "未完成", "否", "no", "n"),
    "in_progress": ("in progress", "进行中", "处理中", "doing", "started", "办理中"),
    "done": ("done", "已完成", "完成", "completed", "finished", "yes", "y", "是", "✓", "√", "ok"),
    "skipped": ("skipped", "不适用", "跳过", "n/a", "na", "not applicable", "无需"),
    "awaiting_approval": ("awaiting approval", "待审批", "审批中"),
}


def _choice_table(words: dict[str, tuple[str, ...]], choices) -> dict[str, str]:
    table = {}
    for code, label in choices:
        table[norm(code)] = code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                table[norm(str(label))] = code
    for code, spellings in words.items():
        for word in spellings:
            table.setdefault(norm(word), code)
    return table


@cache
def _stage_table() -> dict[str, str]:
    return _choice_table(STAGE_WORDS, Stage.choices)


@cache
def _task_status_table() -> dict[str, str]:
    return _choice_table(TASK_STATUS_WORDS, TaskStatus.choices)


def parse_stage(value) -> str:
    code = _stage_table().get(norm(value))
    if code is None:
        raise ValueError(value)
    return code


def parse_task_status(value) -> str:
    code = _task_status_table().get(norm(value))
    if code is None:
        raise ValueError(value)
    return code


def parse_role(value) -> str:
    words = {
        "admin": ("admin", "administrator", "管理员", "管理"),
        "manager": ("manager", "项目经理", "经理"),
        "operator": ("operator", "执行人", "运营", "操作员"),
        "reviewer": ("reviewer", "主管", "审核人"),
        "auditor": ("auditor", "审计", "只读"),
        "client": ("client", "客户"),
    }
    code = _choice_table(words, Role.choices).get(norm(value))
    if code is None:
        raise ValueError(value)
    return code
