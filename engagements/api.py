"""How the API says no: one exception handler for every DRF view.

A service's refusal (`ApplicationError`) becomes a 400 with an RFC 9457 problem body
(`application/problem+json`): `title`, `status`, `detail` (the service's words) and, when the
refusal names one, the `field`. Everything else is DRF's own handling.
"""

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from engagements.errors import ApplicationError

PROBLEM_JSON = "application/problem+json"


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": "The request was refused.",
            "status": status.HTTP_400_BAD_REQUEST,
            "detail": exc.message,
        }
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=status.HTTP_400_BAD_REQUEST, content_type=PROBLEM_JSON)
    return exception_handler(exc, context)
