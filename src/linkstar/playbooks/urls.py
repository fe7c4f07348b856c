from django.urls import path

from linkstar.playbooks import views

urlpatterns = [
    path("templates/", views.template_library, name="template_library"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:template_id>/", views.template_detail, name="template_detail"),
    path("templates/<int:template_id>/clone/", views.template_clone, name="template_clone"),
    path(
        "templates/<int:template_id>/make-default/",
        views.template_make_default,
        name="template_make_default",
    ),
    path("templates/<int:template_id>/diff/", views.version_diff, name="template_diff"),
    path(
        "templates/<int:template_id>/versions/new/", views.version_new, name="template_version_new"
    ),
    path(
        "templates/<int:template_id>/versions/<int:number>/",
        views.version_detail,
        name="template_version",
    ),
    path(
        "templates/<int:template_id>/versions/<int:number>/edit/",
        views.version_edit,
        name="template_version_edit",
    ),
    path(
        "templates/<int:template_id>/versions/<int:number>/publish/",
        views.version_publish,
        name="template_version_publish",
    ),
    path(
        "templates/<int:template_id>/versions/<int:number>/retire/",
        views.version_retire,
        name="template_version_retire",
    ),
    path("projects/<int:project_id>/upgrade/", views.project_upgrade, name="project_upgrade"),
]
