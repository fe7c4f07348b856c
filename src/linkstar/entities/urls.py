from django.urls import path

from linkstar.entities import views

urlpatterns = [
    path("", views.entity_list, name="entity_list"),
    path("new/", views.entity_create, name="entity_create"),
    path("<int:entity_id>/edit/", views.entity_edit, name="entity_edit"),
]
