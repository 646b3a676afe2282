from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def people(request: HttpRequest, username: str = "") -> HttpResponse:
    return render(request, "network/people.html", {})
