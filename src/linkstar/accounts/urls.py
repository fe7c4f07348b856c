from django.urls import include, path

from linkstar.accounts import calendar_views, security_views, views

urlpatterns = [
    path("settings/members/", views.org_members, name="org_members"),
    path("settings/members/<int:user_id>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("settings/tokens/", views.api_tokens, name="api_tokens"),
    path("settings/two-factor/", security_views.org_two_factor, name="org_two_factor"),
    path("settings/workdays/", calendar_views.work_calendar_page, name="work_calendar"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("settings/entities/", include("linkstar.entities.urls")),
    path("settings/jobs/", include("linkstar.worker.urls")),
    path("settings/members/<int:user_id>/erase/", views.member_erase, name="member_erase"),
]
