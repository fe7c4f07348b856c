from __future__ import annotations

from django.urls import path

from linkstar.delivery import views

urlpatterns = [
    path("settings/channels/", views.channel_list, name="delivery_channels"),
    path("settings/channels/<int:channel_id>/", views.channel_edit, name="delivery_channel_edit"),
    path(
        "settings/channels/<int:channel_id>/toggle/",
        views.channel_toggle,
        name="delivery_channel_toggle",
    ),
    path(
        "settings/channels/<int:channel_id>/delete/",
        views.channel_delete,
        name="delivery_channel_delete",
    ),
    path(
        "settings/channels/<int:channel_id>/test/",
        views.channel_test,
        name="delivery_channel_test",
    ),
    path("settings/chat-ids/", views.chat_ids, name="delivery_chat_ids"),
    path("settings/chat-ids/<int:user_id>/", views.chat_id_save, name="delivery_chat_id_save"),
    path("settings/deliveries/", views.delivery_log, name="delivery_log"),
    path(
        "settings/deliveries/<int:delivery_id>/retry/",
        views.delivery_retry,
        name="delivery_retry",
    ),
]
