from django.urls import path

from linkstar.projects.views import board, create, detail, lists, task_list, tasks

urlpatterns = [
    path("", lists.workbench, name="workbench"),
    path("projects/", lists.project_list, name="project_list"),
    path("projects/new/", create.project_create, name="project_create"),
    path("projects/batch/", create.project_batch, name="project_batch"),
    path("projects/<int:project_id>/", detail.project_detail, name="project_detail"),
    path("projects/<int:project_id>/stage/", detail.project_stage, name="project_stage"),
    path("projects/<int:project_id>/close/", detail.project_close, name="project_close"),
    path("projects/<int:project_id>/restore/", detail.project_restore, name="project_restore"),
    path("projects/<int:project_id>/team/", detail.project_team_edit, name="project_team"),
    path("kanban/", board.kanban, name="kanban"),
    path("kanban/<int:project_id>/move/", board.kanban_move, name="kanban_move"),
    path("my-tasks/", tasks.my_tasks, name="my_tasks"),
    path("tasks/", task_list.task_list, name="task_list"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:task_id>/skip/", tasks.task_skip, name="task_skip"),
    path("tasks/<int:task_id>/reopen/", tasks.task_reopen, name="task_reopen"),
    path("tasks/<int:task_id>/return/", tasks.task_return, name="task_return"),
    path("tasks/<int:task_id>/reschedule/", tasks.task_reschedule, name="task_reschedule"),
    path("tasks/<int:task_id>/checklist/", tasks.task_checklist, name="task_checklist"),
    path("tasks/<int:task_id>/comments/", tasks.task_comment, name="task_comment"),
]
