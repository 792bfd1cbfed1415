from django.urls import path

from smz.accounts import views

app_name = "accounts"

urlpatterns = [
    path("w/login/", views.worker_login, name="worker_login"),
    path("w/login/verify/", views.worker_verify, name="worker_verify"),
]
urlpatterns += [
    path("2fa/setup/", views.twofactor_setup, name="twofactor_setup"),
    path("2fa/verify/", views.twofactor_verify, name="twofactor_verify"),
    path("account/tokens/", views.token_list, name="tokens"),
]
