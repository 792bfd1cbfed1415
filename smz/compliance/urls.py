from django.urls import path

from smz.compliance import views

app_name = "compliance"

urlpatterns = [
    path("compliance/rules/", views.rule_list, name="rules"),
    path("compliance/rules/<str:code>/", views.rule_detail, name="rule"),
]
