"""The baseline the intake's POST is measured against: the smallest POST view that writes one row,
served by the same server (same middleware, same database) in the same run. Benchmark only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.benchapp.models import PlainPerson
from corridor.core.decorators import public, works_sealed


@public
@works_sealed
@csrf_exempt
@require_POST
def minimal_post(request: HttpRequest) -> HttpResponse:
    PlainPerson.objects.create(name=str(request.POST.get("name", ""))[:120])
    return HttpResponse("ok", content_type="text/plain")
