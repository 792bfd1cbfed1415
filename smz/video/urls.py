from django.urls import path

app_name = "video"

urlpatterns: list = []
