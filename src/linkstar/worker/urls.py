from django.urls import path

from linkstar.worker import views

urlpatterns = [
    path("", views.jobs_page, name="worker_jobs"),
    path("<uuid:job_id>/retry/", views.job_retry, name="worker_job_retry"),
]
