from __future__ import annotations

from django.urls import path

from linkstar.exchange import views

urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<int:import_id>/", views.import_detail, name="import_detail"),
    path("import/<int:import_id>/progress/", views.import_progress, name="import_progress"),
]
