"""Routes of the registry's pages: the worker's login by phone. config/urls.py mounts them in the accounts
namespace beside the account pages, where their names (`accounts:worker_login`, `accounts:worker_verify`) began."""

from django.urls import path

from smz.registry import views

urlpatterns = [
    path("w/login/", views.worker_login, name="worker_login"),
    path("w/login/verify/", views.worker_verify, name="worker_verify"),
]
