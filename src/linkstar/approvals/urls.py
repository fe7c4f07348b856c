from django.urls import path

from linkstar.approvals import views

urlpatterns = [
    path("approvals/", views.approval_inbox, name="approval_inbox"),
    path("approvals/<int:approval_id>/decide/", views.approval_decide, name="approval_decide"),
    path(
        "approvals/<int:approval_id>/withdraw/", views.approval_withdraw, name="approval_withdraw"
    ),
]
