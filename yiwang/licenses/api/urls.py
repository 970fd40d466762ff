from django.urls import path

from . import views

urlpatterns = [
    path("licenses/verify", views.VerifyView.as_view(), name="api-license-verify"),
    path("licenses/<str:identifier>/suspend", views.LicenseTransitionView.as_view(action_name="suspend"),
         name="api-license-suspend"),
    path("licenses/<str:identifier>/revoke", views.LicenseTransitionView.as_view(action_name="revoke"),
         name="api-license-revoke"),
    path("licenses/<str:identifier>/cancel", views.LicenseTransitionView.as_view(action_name="cancel"),
         name="api-license-cancel"),
    path("me/licenses", views.MyLicenseList.as_view(), name="api-my-licenses"),
    path("me/licenses/<str:identifier>/uses", views.MyLicenseUseList.as_view(), name="api-my-license-uses"),
]
