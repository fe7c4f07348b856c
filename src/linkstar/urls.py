from django.contrib.auth.views import LogoutView
from django.http import JsonResponse
from django.urls import include, path
from django.views.i18n import set_language

from linkstar.accounts import views as account_views
from linkstar.api.main import api
from linkstar.docrequests import urls as docrequest_urls


def health(request):
    return JsonResponse({"ok": True})


org_pages = [
    path("", include("linkstar.projects.urls")),
    path("", include("linkstar.approvals.urls")),
    path("", include("linkstar.playbooks.urls")),
    path("", include("linkstar.audit.urls")),
    path("", include("linkstar.accounts.urls")),
    path("", include("linkstar.documents.urls")),
    path("", include("linkstar.entities.org_urls")),
    path("", include("linkstar.compliance.urls")),
    path("", include("linkstar.notifications.urls")),
    path("", include("linkstar.delivery.urls")),
    path("", include("linkstar.platformmail.urls")),
    path("", include("linkstar.exchange.urls")),
    path("", include("linkstar.archives.urls")),
    path("", include("linkstar.docrequests.urls")),
    path("", include("linkstar.portal.urls")),
    path("", include("linkstar.reports.urls")),
]

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", health),
    path("", account_views.home, name="home"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/", include("linkstar.accounts.account_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("o/<slug:org>/", include(org_pages)),
    path("calendar/", include("linkstar.archives.feed_urls")),
    path("r/", include(docrequest_urls.link_urlpatterns)),
]
