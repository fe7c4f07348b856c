from django.urls import path

from linkstar.docrequests import views

urlpatterns = [
    path("requests/", views.request_list, name="docrequest_list"),
    path("requests/<int:request_id>/", views.request_detail, name="docrequest_detail"),
    path("requests/attention/", views.workbench_card, name="docrequest_workbench_card"),
    path("projects/<int:project_id>/requests/new/", views.request_new, name="docrequest_new"),
    path(
        "projects/<int:project_id>/requests/card/",
        views.project_card,
        name="docrequest_project_card",
    ),
    path(
        "requests/<int:request_id>/items/<int:item_id>/upload/",
        views.item_upload,
        name="docrequest_item_upload",
    ),
    path(
        "requests/<int:request_id>/uploads/<int:upload_id>/review/",
        views.upload_review,
        name="docrequest_upload_review",
    ),
    path(
        "requests/<int:request_id>/uploads/<int:upload_id>/file/",
        views.upload_file,
        name="docrequest_upload_file",
    ),
    path("requests/<int:request_id>/cancel/", views.request_cancel, name="docrequest_cancel"),
    path("requests/<int:request_id>/links/", views.link_create, name="docrequest_link_create"),
    path(
        "requests/<int:request_id>/links/<int:link_id>/revoke/",
        views.link_revoke,
        name="docrequest_link_revoke",
    ),
]

link_urlpatterns = [path("<str:token>/", views.link_page, name="docrequest_link")]
