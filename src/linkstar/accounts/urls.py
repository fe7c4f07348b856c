from django.urls import path

from linkstar.accounts import views

urlpatterns = [
    path("settings/members/", views.org_members, name="org_members"),
]
