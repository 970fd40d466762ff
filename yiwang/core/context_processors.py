from .preferences import ELDERLY_COOKIE


def ui_preferences(request):
    return {"elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1"}
