"""The public calendar feed, outside ``/o/<org>/``: the secret token alone opens it."""

from django.urls import re_path

from linkstar.archives import views

urlpatterns = [
    re_path(r"^(?P<token>[A-Za-z0-9_\-]{10,100})\.ics$", views.calendar_feed, name="calendar_feed"),
]
