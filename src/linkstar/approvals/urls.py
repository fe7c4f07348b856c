from django.urls import path

from linkstar.approvals import views

urlpatterns = [
    path("approvals/", views.approval_inbox, name="approval_inbox"),
]
