from django.contrib.auth.views import LogoutView
from django.urls import path

from smz.accounts import views as account_views
from smz.portal import builder_views, guide_views, views
from smz.registry import views as registry_views

app_name = "portal"

# The portal's namespace lists the people and account pages too (their routes were born here); the views are the
# registry's (smz/registry/views.py) and the accounts' (smz/accounts/views.py).

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/planned-start/", builder_views.planned_start, name="planned_start"),
    path("workers/", registry_views.worker_list, name="workers"),
    path("workers/<int:pk>/", registry_views.worker_detail, name="worker_detail"),
    path(
        "workers/<int:pk>/reveal/<str:field>/", registry_views.worker_reveal, name="worker_reveal"
    ),
    path("workers/<int:pk>/photo/<str:kind>/", registry_views.worker_photo, name="worker_photo"),
    path("workers/<int:pk>/contact/", registry_views.worker_contact, name="worker_contact"),
    path("roster/import/", registry_views.roster_import, name="roster_import"),
    path("accounts/", account_views.account_list, name="accounts"),
    path("accounts/<int:pk>/<str:action>/", account_views.account_action, name="account_action"),
    path("guide/", guide_views.guide_index, name="guide"),
    path("guide/shots/<str:name>", guide_views.guide_screenshot, name="guide_screenshot"),
    path("guide/<slug:section>/<slug:slug>/", guide_views.guide_doc, name="guide_doc"),
    path("guide/<slug:section>/<slug:slug>.pdf", guide_views.guide_pdf, name="guide_pdf"),
]
