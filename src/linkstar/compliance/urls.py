from django.urls import path

from linkstar.compliance import views

urlpatterns = [
    path("risks/", views.risk_list, name="risk_list"),
    path("risks/acknowledge/", views.risks_acknowledge, name="risks_acknowledge"),
    path("risks/<int:risk_id>/acknowledge/", views.risk_acknowledge, name="risk_acknowledge"),
    path("projects/<int:project_id>/readiness/", views.readiness_page, name="project_readiness"),
    path(
        "projects/<int:project_id>/readiness/card/",
        views.readiness_card,
        name="project_readiness_card",
    ),
    path(
        "projects/<int:project_id>/readiness/override/",
        views.readiness_override,
        name="project_readiness_override",
    ),
    path("projects/<int:project_id>/risks/card/", views.risks_card, name="project_risks_card"),
    path(
        "projects/<int:project_id>/environment/",
        views.project_environment,
        name="project_environment",
    ),
]
