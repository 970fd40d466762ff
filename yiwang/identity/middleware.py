"""Staff must pass TOTP before any page (filled in by the identity work)."""


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
