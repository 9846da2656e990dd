from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from waibao.core.files import StoredFileMissing


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"status": 403}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if isinstance(exception, StoredFileMissing) else ""
    return render(request, "core/error.html", {"status": 404, "message": message}, status=404)
