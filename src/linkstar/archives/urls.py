from django.urls import path, re_path

from linkstar.archives import views

urlpatterns = [
    re_path(
        r"^exports/(?P<kind>projects|tasks|requests)\.(?P<fmt>xlsx|csv)$",
        views.export_file,
        name="export_file",
    ),
    path("archives/", views.archive_list, name="archive_list"),
    path("archives/new/", views.archive_request, name="archive_request"),
    path("archives/<int:archive_id>/", views.archive_row, name="archive_row"),
    path(
        "archives/<int:archive_id>/download/", views.archive_download, name="archive_download_web"
    ),
    path("settings/calendar/", views.calendar_settings, name="calendar_settings"),
]
