from django.urls import path

from linkstar.documents import views

urlpatterns = [
    path("documents/", views.vault, name="vault"),
    path("documents/upload/", views.document_upload, name="document_upload"),
    path("documents/<int:document_id>/", views.document_detail, name="document_detail"),
    path(
        "documents/<int:document_id>/download/",
        views.document_download,
        name="document_download",
    ),
    path("settings/retention/", views.retention_settings, name="document_retention"),
    path("tasks/<int:task_id>/attachments/", views.task_attach, name="task_attach"),
    path("tasks/<int:task_id>/documents/", views.task_upload, name="task_upload"),
    path(
        "tasks/<int:task_id>/attachments/<int:attachment_id>/detach/",
        views.task_detach,
        name="task_detach",
    ),
]
