from django.urls import re_path

from herald_dashboard import views

urlpatterns = [
    re_path(r"^$", views.AdminIndexView.as_view(), name="index"),
    re_path(r"^(?P<message_id>[^/]+)/$", views.AdminDetailView.as_view(), name="detail"),
]
