"""Schemathesis hooks for test/api/schemathesis.test.ts.

Two rules of the API that the OpenAPI document states in words, since JSON Schema cannot state them:

- A page cursor is valid only if the API issued it (a `nextCursor`); any other string of the documented
  alphabet is a 400, as api/cursor.ts decodes it.
- A line cancellation or a return names each `lineId` at most once (api/schemas/orders.ts).

Schemathesis generates "valid" cases that break them and would expect them accepted. These hooks drop
only such positive cases; every negative case, and every positive case that keeps the rules, goes out.
"""

import base64
import binascii
import json
from datetime import datetime

import schemathesis

LINE_CHANGES = {"POST /v1/orders/{orderId}/cancel", "POST /v1/orders/{orderId}/returns"}


def _decoded(cursor):
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None


def _is_date(value):
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except (AttributeError, ValueError):
        return False


def _issued(label, cursor):
    """Whether the API could have returned this cursor (api/cursor.ts); an empty one means the first page."""
    if cursor in (None, ""):
        return True
    values = _decoded(cursor)
    if not isinstance(values, list):
        return False
    if label == "GET /v1/orders":
        return len(values) == 2 and all(isinstance(value, str) for value in values)
    if label == "GET /v1/inventory":
        return len(values) == 1 and isinstance(values[0], str)
    if label == "GET /v1/inventory/{sku}/movements":
        return (
            len(values) == 3
            and _is_date(values[0])
            and isinstance(values[1], str)
            and isinstance(values[2], int)
            and not isinstance(values[2], bool)
            and abs(values[2]) <= 2**53 - 1
        )
    return True


def _lists_a_line_twice(body):
    lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(lines, list):
        return False
    ids = [line.get("lineId") for line in lines if isinstance(line, dict)]
    return len(ids) != len(set(map(repr, ids)))


@schemathesis.hook
def filter_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    label = f"{case.method.upper()} {case.path}"
    if isinstance(case.query, dict) and not _issued(label, case.query.get("cursor")):
        return False
    if label in LINE_CHANGES and _lists_a_line_twice(case.body):
        return False
    return True
