from __future__ import annotations

from django.urls import path

from linkstar.platformmail import views

urlpatterns = [
    path("mail/", views.mail_inbox, name="mail_inbox"),
    path("mail/<int:mail_id>/", views.mail_message, name="mail_message"),
    path("mail/<int:mail_id>/raw/", views.mail_raw, name="mail_raw"),
    path("mail/<int:mail_id>/assign/", views.mail_assign, name="mail_assign"),
    path(
        "projects/<int:project_id>/mail-address/",
        views.project_mail_address,
        name="project_mail_address",
    ),
    path(
        "stage-proposals/<int:proposal_id>/accept/",
        views.proposal_accept,
        name="mail_proposal_accept",
    ),
    path(
        "stage-proposals/<int:proposal_id>/dismiss/",
        views.proposal_dismiss,
        name="mail_proposal_dismiss",
    ),
    path("settings/mail/", views.mail_settings, name="mail_settings"),
    path(
        "settings/mail/accounts/<int:account_id>/test/",
        views.mail_account_test,
        name="mail_account_test",
    ),
    path(
        "settings/mail/accounts/<int:account_id>/toggle/",
        views.mail_account_toggle,
        name="mail_account_toggle",
    ),
    path(
        "settings/mail/accounts/<int:account_id>/delete/",
        views.mail_account_delete,
        name="mail_account_delete",
    ),
    path(
        "settings/mail/rules/<int:rule_id>/delete/",
        views.keyword_rule_delete,
        name="mail_rule_delete",
    ),
]
