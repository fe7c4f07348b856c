from django.http import JsonResponse
from django.urls import path

from linkstar.api.main import api


def health(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", health),
]
