from django.urls import path

from . import views

urlpatterns = [
    path("departments", views.DepartmentList.as_view(), name="api-departments"),
    path("items", views.ItemList.as_view(), name="api-items"),
    path("items/<str:code>", views.ItemDetail.as_view(), name="api-item-detail"),
    path("life-events", views.LifeEventList.as_view(), name="api-life-events"),
    path("life-events/<str:code>", views.LifeEventDetail.as_view(), name="api-life-event-detail"),
]
