app_name = "licenses"

urlpatterns: list = []
