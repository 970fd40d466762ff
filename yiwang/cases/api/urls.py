from django.urls import path

from . import views

urlpatterns = [
    path("applications", views.ApplicationCreate.as_view(), name="cases-api-applications"),
    path("applications/<int:pk>", views.ApplicationDetail.as_view(), name="cases-api-application"),
    path("applications/<int:pk>/materials", views.MaterialUpload.as_view(), name="cases-api-materials"),
    path("applications/<int:pk>/materials/<int:material_id>/file", views.MaterialFile.as_view(),
         name="cases-api-material-file"),
    path("applications/<int:pk>/submit", views.ApplicationSubmit.as_view(), name="cases-api-submit"),
    path("cases", views.CaseList.as_view(), name="cases-api-cases"),
    path("cases/<str:number>", views.CaseDetail.as_view(), name="cases-api-case"),
    path("cases/<str:number>/receipt.pdf", views.CaseReceipt.as_view(), name="cases-api-receipt"),
    path("cases/<str:number>/delivery", views.CaseDelivery.as_view(), name="cases-api-delivery"),
    path("cases/<str:number>/supplement", views.CaseSupplement.as_view(), name="cases-api-supplement"),
    path("cases/<str:number>/documents/<int:document_id>", views.CaseDocumentFile.as_view(),
         name="cases-api-document"),
]
