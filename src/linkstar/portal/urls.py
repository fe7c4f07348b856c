from django.urls import path

from linkstar.portal import views

urlpatterns = [
    path("portal/", views.portal, name="portal"),
    path("portal/message/", views.portal_message, name="portal_message"),
]
