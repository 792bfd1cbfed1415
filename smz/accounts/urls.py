from django.urls import path

from smz.accounts import views

app_name = "accounts"

# The worker's login pages (/w/login/) share this namespace but are the registry's: smz/registry/urls.py.
urlpatterns = [
    path("2fa/setup/", views.twofactor_setup, name="twofactor_setup"),
    path("2fa/verify/", views.twofactor_verify, name="twofactor_verify"),
    path("account/tokens/", views.token_list, name="tokens"),
]
