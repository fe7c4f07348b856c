from django.urls import path

from linkstar.projects.views import board, create, detail, lists, tasks

urlpatterns = [
    path("", lists.workbench, name="workbench"),
    path("projects/", lists.project_list, name="project_list"),
    path("projects/new/", create.project_create, name="project_create"),
    path("projects/batch/", create.project_batch, name="project_batch"),
    path("projects/<int:project_id>/", detail.project_detail, name="project_detail"),
    path("kanban/", board.kanban, name="kanban"),
    path("my-tasks/", tasks.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task_detail"),
]
