"""The OpenAPI document, made to tell the truth about what the service answers.

FastAPI documents errors as ``application/json`` with its own validation-error schema, and only
the statuses a route declares. The service answers every error as a problem document
(``application/problem+json``, :class:`api.models.ProblemOut`), a rate-limited route can answer
``429`` whatever it declares, a route with a body ``400``/``413`` (an unreadable or too large
body), a route that needs the job runner or database ``503`` while the service starts. This
module rewrites the generated document so, and ``tests/test_api_schema.py`` holds the service to
it with schemathesis.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api import problems
from api.deps import get_repository, get_runner, rate_limited

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
_DESCRIPTIONS = {
    400: "The request body could not be read.",
    404: "No such resource.",
    409: "Conflict with the resource's state.",
    413: "The request body is too large.",
    422: "Invalid request (a problem document lists the errors).",
    429: "Too many requests or jobs from this client; see Retry-After.",
    500: "Internal error (logged).",
    503: "The service is starting, stopping or at capacity; see Retry-After.",
}


def _dependencies(route: APIRoute) -> set[Any]:
    found: set[Any] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is not None:
            found.add(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def _statuses(route: APIRoute) -> set[int]:
    """The error statuses ``route`` may answer beyond those it declares."""
    calls = _dependencies(route)
    statuses: set[int] = set()
    if route.dependant.query_params or route.dependant.path_params or route.body_field:
        statuses.add(422)
    if route.body_field is not None:
        statuses.update((400, 413))
    if rate_limited in calls:
        statuses.add(429)
    if get_repository in calls or get_runner in calls:
        statuses.add(503)
    return statuses


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the truthful document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
        routes = {(route.path, method.lower()): route
                  for route in (c.original_route for c in iter_route_contexts(app.routes))
                  if isinstance(route, APIRoute) for method in route.methods or ()}
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                route = routes.get((path, method))
                if route is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in _statuses(route):
                    responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
                for status, response in responses.items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {problems.MEDIA_TYPE: {"schema": _PROBLEM_REF}}
                        response.setdefault("description", _DESCRIPTIONS.get(int(status), ""))
        schemas = document.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
