from django.urls import path

from . import views

urlpatterns = [
    path("registry/persons/<str:id_number>", views.PersonLookup.as_view(), name="api-person-lookup"),
    path("registry/entities/<str:uscc>", views.EntityLookup.as_view(), name="api-entity-lookup"),
    path("sharing/elements", views.DataElementList.as_view(), name="api-data-elements"),
    path("sharing/requests", views.SharingRequestList.as_view(), name="api-sharing-requests"),
    path("sharing/requests/<int:pk>", views.SharingRequestDetail.as_view(), name="api-sharing-request"),
    path("sharing/requests/<int:pk>/approve", views.SharingRequestApprove.as_view(),
         name="api-sharing-request-approve"),
    path("sharing/requests/<int:pk>/refuse", views.SharingRequestRefuse.as_view(),
         name="api-sharing-request-refuse"),
    path("sharing/requests/<int:pk>/withdraw", views.SharingRequestWithdraw.as_view(),
         name="api-sharing-request-withdraw"),
    path("me/data-access-log", views.MyDataAccessLog.as_view(), name="api-my-data-access-log"),
]
