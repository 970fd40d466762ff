from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.my_cases, name="my-cases"),
    path("apply/life-event/<str:code>/", views.apply_life_event, name="apply-life-event"),
    path("apply/<str:code>/", views.apply_item, name="apply-item"),
    path("applications/<int:pk>/", views.application_page, name="application"),
    path("applications/<int:pk>/materials/", views.material_upload, name="material-upload"),
    path("applications/<int:pk>/materials/<int:material_id>/file", views.material_file, name="material-file"),
    path("<str:number>/", views.case_page, name="case-detail"),
    path("<str:number>/receipt.pdf", views.case_receipt, name="case-receipt"),
    path("<str:number>/delivery/", views.case_delivery, name="case-delivery"),
    path("<str:number>/supplement/", views.case_supplement, name="case-supplement"),
    path("<str:number>/documents/<int:document_id>.pdf", views.case_document, name="case-document"),
    path("<str:number>/staff/<str:kind>/<int:pk>", views.staff_file, name="staff-file"),
]
