"""Entity pages, under the organization settings (``settings/entities/``)."""

from django.urls import path

from linkstar.entities import views

urlpatterns = [
    path("", views.entity_list, name="entity_list"),
    path("new/", views.entity_create, name="entity_create"),
    path("<int:entity_id>/", views.entity_detail, name="entity_detail"),
    path("<int:entity_id>/edit/", views.entity_edit, name="entity_edit"),
    path("<int:entity_id>/erase/", views.entity_erase, name="entity_erase"),
    path("<int:entity_id>/<slug:segment>/new/", views.record_create, name="record_create"),
    path(
        "<int:entity_id>/<slug:segment>/<int:item_id>/edit/",
        views.record_edit,
        name="record_edit",
    ),
    path(
        "<int:entity_id>/<slug:segment>/<int:item_id>/delete/",
        views.record_delete,
        name="record_delete",
    ),
]
