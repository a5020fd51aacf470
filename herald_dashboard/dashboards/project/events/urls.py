from django.urls import re_path

from herald_dashboard import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^(?P<message_id>[^/]+)/$", views.DetailView.as_view(), name="detail"),
]
