"""The site's pages, and a bare view beside them: the baseline of `make bench`'s throughput figure (what Django and
the site's middleware cost for a request that does nothing)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from npqel.urls import urlpatterns as site


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *site]
