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
]
