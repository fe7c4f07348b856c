from django.urls import path

from linkstar.reports import views

urlpatterns = [
    path("reports/", views.report_page, name="report"),
    path("reports/report.xlsx", views.report_xlsx, name="report_xlsx"),
]
