from django.urls import path

from smz.compliance import report_views, views

app_name = "compliance"

urlpatterns = [
    path("compliance/rules/", views.rule_list, name="rules"),
    path("compliance/reports/", report_views.report_page, name="reports"),
    path("compliance/reports/excel/", report_views.report_excel, name="report_excel"),
    path("compliance/reports/pdf/", report_views.report_pdf, name="report_pdf"),
    path("compliance/rules/<str:code>/", views.rule_detail, name="rule"),
]
