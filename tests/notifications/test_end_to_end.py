"""From a service call to a delivered mail and chat message: assign a task, fan the event out,
run the outbox sweep; a real SMTP sink (aiosmtpd) and a real WeCom-like robot on 127.0.0.1."""

from __future__ import annotations

import pytest

from linkstar.delivery import sending
from linkstar.notifications.models import Notification
from linkstar.projects.services import update_task
from tests.support.delivery import channel_for, smtp_sink
from tests.support.notifications import process_all
from tests.support.receivers import Receiver


@pytest.fixture
def smtp(settings):
    with smtp_sink(settings) as sink:
        yield sink


@pytest.fixture
def robot():
    with Receiver("wecom") as running:
        yield running


def test_assigning_a_task_mails_the_assignee_and_tells_the_group(
    settled, as_bob, carol, org, smtp, robot, settings
):
    settings.LINKSTAR_BASE_URL = "https://linkstar.example"
    channel_for(org, robot)
    carol.language = "en"
    carol.save()
    task = settled.tasks.order_by("position").first()
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)

    process_all()  # the worker's fan-out job, after commit
    assert Notification.objects.get().recipient == carol
    assert sending.deliver_due() == {"sent": 2}

    [(rcpts, mail)] = smtp.messages
    assert rcpts == ["carol@example.com"]
    title = task.title_en or task.title
    assert mail["Subject"] == f"Task assigned to you: {title}"
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Project: {settled.code} Xinghe Home US" in plain
    assert f"Due date: {task.due_date.isoformat()}" in plain
    assert f"https://linkstar.example/o/acme/tasks/{task.pk}/" in plain

    [request] = robot.accepted
    text = str(request.json)
    assert "任务已分配：" in text  # the group reads the organization's language, worded for a team
    assert "给你" not in text
    assert settled.code in text and f"/o/acme/tasks/{task.pk}/" in text

    process_all()  # nothing left, nothing twice
    assert sending.deliver_due() == {}
    assert len(smtp.messages) == 1 and len(robot.accepted) == 1
