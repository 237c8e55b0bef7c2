"""Schemathesis hooks for fuzz.sh (loaded with SCHEMATHESIS_HOOKS=fuzz_hooks).

Schemathesis' built-in `not_a_server_error` treats every GraphQL error raised during execution as
a server error. Plejeoverblik answers expected refusals (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
VALIDATION, LOCKED, CONFLICT, ...) as GraphQL errors with a stable `extensions.code`, so fuzz.sh
turns the built-in check off and uses this one instead: a response fails when

* its status is 5xx (a 503 from the request timeout included), or
* it is not a JSON object with `data` and/or `errors`, or
* any error carries `extensions.code == "INTERNAL"` (an unexpected failure, logged with a
  correlationId), or
* an error says that a non-null field resolved to null (the server broke its own schema).
"""

from __future__ import annotations

import json

import schemathesis

NON_NULL_MARKERS = ("Cannot return null for non-nullable field",)


def _errors(payload: object) -> list[dict]:
    if not isinstance(payload, dict):
        return []
    errors = payload.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


@schemathesis.check
def no_internal_error(ctx, response, case):
    """No 5xx, a GraphQL response body, and no error with extensions.code INTERNAL."""
    body = response.text if hasattr(response, "text") else response.content.decode("utf-8", "replace")
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {body[:2000]}")
    if response.status_code == 405:
        # A GET that carries a mutation is refused before GraphQL; not an error of the server.
        return None
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise AssertionError(f"HTTP {response.status_code}: response is not JSON ({exc}): {body[:2000]}")
    if not isinstance(payload, dict) or not ({"data", "errors"} & payload.keys()):
        raise AssertionError(f"HTTP {response.status_code}: not a GraphQL response: {body[:2000]}")
    internal = [
        e
        for e in _errors(payload)
        if isinstance(e.get("extensions"), dict) and e["extensions"].get("code") == "INTERNAL"
    ]
    if internal:
        raise AssertionError(
            f"HTTP {response.status_code}: GraphQL error with extensions.code INTERNAL: "
            + json.dumps(internal, ensure_ascii=False)[:2000]
        )
    non_null = [e for e in _errors(payload) if any(m in str(e.get("message", "")) for m in NON_NULL_MARKERS)]
    if non_null:
        raise AssertionError(
            f"HTTP {response.status_code}: non-null field resolved to null: "
            + json.dumps(non_null, ensure_ascii=False)[:2000]
        )
    return None


# The schema's custom scalars. Date is an ISO date ("2026-12-01") from 1900-01-01 to 2999-12-31;
# the generator also goes outside that range (answered VALIDATION), so the edges are tried. DateTime and JSON appear
# in output types only.
def _register_scalars() -> None:
    from hypothesis import strategies as st
    from schemathesis.graphql import nodes

    schemathesis.graphql.scalar("Date", st.dates().map(lambda d: nodes.String(d.isoformat())))
    schemathesis.graphql.scalar(
        "DateTime", st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z"))
    )
    schemathesis.graphql.scalar("JSON", st.just(nodes.String("{}")))


_register_scalars()
