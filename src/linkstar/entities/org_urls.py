"""Pages at the organization's root: a project's store credentials, and the reveal action."""

from django.urls import path

from linkstar.entities import views

urlpatterns = [
    path("projects/<int:project_id>/credentials/", views.credential_list, name="credential_list"),
    path(
        "projects/<int:project_id>/credentials/<int:credential_id>/rotate/",
        views.credential_rotate,
        name="credential_rotate",
    ),
    path(
        "projects/<int:project_id>/credentials/<int:credential_id>/revoke/",
        views.credential_revoke,
        name="credential_revoke",
    ),
    path(
        "projects/<int:project_id>/credentials/<int:credential_id>/delete/",
        views.credential_delete,
        name="credential_delete",
    ),
    path("reveal/", views.reveal, name="reveal_secret"),
]
