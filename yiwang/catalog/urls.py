from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", views.search_page, name="search"),
    path("search/suggest", views.search_suggest, name="search-suggest"),
    path("search/click/<int:log_id>/<int:rank>", views.search_click, name="search-click"),
    path("departments", views.department_list, name="department-list"),
    path("departments/<str:code>", views.department_detail, name="department-detail"),
    path("targets/<str:target>", views.target_detail, name="target-detail"),
    path("life-events", views.life_event_list, name="life-event-list"),
    path("life-events/<str:code>", views.life_event_detail, name="life-event-detail"),
    path("items/<str:code>", views.item_detail, name="item-detail"),
    path("items/<str:code>/print", views.item_print, name="item-print"),
]
