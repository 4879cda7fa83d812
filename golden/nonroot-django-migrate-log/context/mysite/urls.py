import os

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import path


def index(request):
    User.objects.get_or_create(username="visitor")  # writes the database
    return HttpResponse(f"uid={os.getuid()} users={User.objects.count()}\n")


urlpatterns = [path("", index)]
