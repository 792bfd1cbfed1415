from django.urls import path

from smz.faceid import views

app_name = "faceid"

urlpatterns = [
    path("faceid/duplicates/", views.duplicate_list, name="duplicates"),
    path("faceid/duplicates/<int:pk>/", views.duplicate_detail, name="duplicate"),
    path(
        "faceid/duplicates/<int:pk>/photo/<str:side>/",
        views.duplicate_photo,
        name="duplicate_photo",
    ),
    path("faceid/checks/", views.check_list, name="checks"),
    path("faceid/checks/<int:pk>/", views.check_detail, name="check"),
    path("faceid/checks/<int:pk>/contest/", views.check_contest, name="check_contest"),
    path("faceid/checks/<int:pk>/photo/<str:side>/", views.check_photo, name="check_photo"),
]
