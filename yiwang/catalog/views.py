from django.http import HttpResponse


def home(request):
    return HttpResponse("一网通办")
