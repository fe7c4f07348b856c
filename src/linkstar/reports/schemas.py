from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class FigureOut(Schema):
    n: int = Field(description="how many projects (steps, decisions) it rests on")
    enough: bool = Field(description="n is at least min_sample; below, do not rely on it")
    median: float | None
    p80: float | None
    value: float | None = Field(description="a rate (%) or a mean, where that is the figure")


class GroupOut(Schema):
    projects: int
    by_stage: dict[str, int]
    to_submission: FigureOut = Field(description="days from the start to the first submission")
    to_result: FigureOut = Field(description="days from the submission to 已开通 or 未通过")
    to_opening: FigureOut = Field(description="days from the start to the opening")
    needs_info_share: FigureOut = Field(description="% of submitted projects sent to 需补料")
    needs_info_times: FigureOut = Field(description="how often, on average, among those")
    rejection_rate: FigureOut = Field(description="% of results that were 未通过")


class SiteOut(GroupOut):
    site: str
    name: str


class PlatformOut(GroupOut):
    platform: str
    name: str
    sites: list[SiteOut]


class BottleneckOut(Schema):
    template_id: int | None
    template: str
    version: int | None
    key: str
    title: str
    planned_days: int | None
    overrun: FigureOut = Field(description="days longer than planned (negative: shorter)")
    spread: float | None = Field(description="days between the 20th and 80th percentiles")
    on_time: FigureOut = Field(description="% finished by their due date")


class ApprovalLevelOut(Schema):
    level: int
    hours: FigureOut


class PersonOut(Schema):
    user_id: int
    name: str
    open: int
    overdue: int
    finished_per_week: list[int]
    approvals_waiting: int


class PeopleOut(Schema):
    weeks: list[str] = Field(description="the Mondays the weeks of finished_per_week start on")
    rows: list[PersonOut]


class MonthOut(Schema):
    month: str
    opened: int
    total: int


class PeriodOut(Schema):
    start: dt.date
    end: dt.date


class ReportOut(Schema):
    period: PeriodOut
    built_at: dt.datetime | None = Field(
        description="when the step and approval figures were built"
    )
    min_sample: int
    total: GroupOut
    platforms: list[PlatformOut]
    opened_over_time: list[MonthOut]
    bottlenecks: list[BottleneckOut]
    approvals: list[ApprovalLevelOut]
    people: PeopleOut
