from django.urls import path

from . import views

app_name = "hall"

urlpatterns = [
    path("window/", views.window, name="window"),
    path("window/person/<str:token>/", views.person, name="window-person"),
    path("window/person/<str:token>/start/", views.person_start, name="window-person-start"),
    path("window/cases/<str:number>/", views.window_case, name="window-case"),
    path("window/cases/<str:number>/receipt.pdf", views.window_case_receipt, name="window-case-receipt"),
    path("window/cases/<str:number>/documents/<int:document_id>.pdf", views.window_case_document,
         name="window-case-document"),
]
