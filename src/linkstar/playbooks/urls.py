from django.urls import path

from linkstar.playbooks import views

urlpatterns = [
    path("templates/", views.template_library, name="template_library"),
]
