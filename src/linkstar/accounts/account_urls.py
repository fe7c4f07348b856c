"""One's own sign-in pages, outside any organization (under ``/accounts/``)."""

from django.urls import path

from linkstar.accounts import security_views

urlpatterns = [
    path("login/verify/", security_views.login_verify, name="login_verify"),
    path("password/", security_views.password_change, name="password_change"),
    path("security/", security_views.security, name="account_security"),
]
