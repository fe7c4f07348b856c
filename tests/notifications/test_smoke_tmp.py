from linkstar.projects.services import update_task
from tests.notifications.conftest import process_all, told


def test_assign(settled, as_bob, carol):
    task = settled.tasks.order_by("position").first()
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    process_all()
    assert told("task.assigned") == {"carol"}
