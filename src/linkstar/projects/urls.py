from django.urls import path

from linkstar.projects import views

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/batch/", views.project_batch, name="project_batch"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("kanban/", views.kanban, name="kanban"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task_detail"),
]
