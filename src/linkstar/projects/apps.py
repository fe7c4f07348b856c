from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "linkstar.projects"
    label = "projects"
