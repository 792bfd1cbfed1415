from django.urls import path

from smz.accounts import views

app_name = "accounts"

urlpatterns = [
    path("w/login/", views.worker_login, name="worker_login"),
    path("w/login/verify/", views.worker_verify, name="worker_verify"),
]
