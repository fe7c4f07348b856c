from __future__ import annotations

from django.urls import path

from linkstar.notifications import views

urlpatterns = [
    path("notifications/", views.inbox, name="notification_inbox"),
    path("notifications/read-all/", views.read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", views.read_one, name="notification_read"),
    path("notifications/<int:notification_id>/open/", views.open_one, name="notification_open"),
    path("notifications/preferences/", views.preferences, name="notification_preferences"),
    path("notifications/settings/", views.org_settings, name="notification_settings"),
]
