from django.urls import path

from smz.compliance import views
from smz.compliance.views import legacy as legacy_views
from smz.compliance.views import reports as report_views
from smz.compliance.views import review as review_views

app_name = "compliance"

urlpatterns = [
    path("compliance/rules/", views.rule_list, name="rules"),
    path("compliance/reports/", report_views.report_page, name="reports"),
    path("compliance/reports/excel/", report_views.report_excel, name="report_excel"),
    path("compliance/reports/pdf/", report_views.report_pdf, name="report_pdf"),
    path("compliance/rules/<str:code>/", views.rule_detail, name="rule"),
    path("compliance/deductions/", review_views.deduction_list, name="deductions"),
    path("compliance/deductions/act/", review_views.deductions_act, name="deductions_act"),
    path("compliance/deductions/<int:pk>/", review_views.deduction_detail, name="deduction"),
    path("compliance/deductions/<int:pk>/appeal/", review_views.appeal_new, name="appeal_new"),
    path("compliance/appeals/", review_views.appeal_list, name="appeals"),
    path("compliance/appeals/<int:pk>/", review_views.appeal_detail, name="appeal"),
    path(
        "compliance/appeal-files/<int:pk>/",
        review_views.appeal_attachment,
        name="appeal_attachment",
    ),
    path("compliance/legacy/", legacy_views.legacy_list, name="legacy"),
    path("compliance/legacy/<int:pk>/", legacy_views.legacy_project, name="legacy_project"),
    path("compliance/legacy/template.xlsx", legacy_views.legacy_template, name="legacy_template"),
    path("compliance/credit/", review_views.credit_list, name="credit_list"),
    path("compliance/credit/export.xlsx", review_views.credit_export, name="credit_export"),
    path("compliance/credit/<int:pk>/", review_views.credit_detail, name="credit"),
]
