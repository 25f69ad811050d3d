"""schemathesis against the API's own OpenAPI schema (/api/schema/openapi.json).

Every operation of the schema, the open API and the integration API (signed
in with a tenant administrator's token), gets generated requests; every
response must be free of server errors and match the schema: a documented
status code, the documented content type, a body of the documented shape.

The path parameters point at a real tenant (a world of security_world.py)
for most cases, so the answers carry data; where hypothesis draws an odd
number for an id, a real object's id stands in for it, so both found and
missing objects are asked for.

In CI each operation gets ``QINGDAN_SCHEMATHESIS_EXAMPLES`` cases (default
15), derandomized (the same cases every run); run with a larger number for a
deeper look, e.g. ``QINGDAN_SCHEMATHESIS_EXAMPLES=500``.
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
import security_world as sw
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qingdan.web.app import create_app

pytestmark = pytest.mark.db

EXAMPLES = int(os.environ.get("QINGDAN_SCHEMATHESIS_EXAMPLES", "15"))
SCHEMA_PATH = "/api/schema/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

APP = create_app()
schema = schemathesis.openapi.from_asgi(SCHEMA_PATH, APP)
#: Real objects that stand in for drawn ids (filled in by the fixture).
REAL: dict[str, object] = {}
STARTED: list[float] = []


@pytest.fixture(scope="module")
async def api_world(database):
    world = await sw.build_world()
    REAL.update(
        slug=world.slug,
        item_id=world.params["item_id"],
        number=world.params["number"],
        token=world.extra["tokens"]["tenant_admin"],
    )
    STARTED.append(time.monotonic())
    return world


def test_the_schema_documents_both_apis():
    paths = set(schema.raw_schema["paths"])
    assert "/api/v1/tenants/{slug}/items" in paths
    assert any(p.startswith("/api/v1/integration/") for p in paths) or not any(
        r.path.startswith("/api/v1/integration/") for r in APP.routes
    ), "the integration API is served but not documented"


def _point_at_real_objects(case) -> None:
    params = case.path_parameters or {}
    if "slug" in params:
        params["slug"] = REAL["slug"]
    for name in ("item_id", "number"):
        value = params.get(name)
        if isinstance(value, int) and value % 2:
            params[name] = REAL[name]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, api_world):
    _point_at_real_objects(case)
    if case.path.startswith("/api/v1/integration/"):
        # The tenant administrator's token (any generated one would just be refused).
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {REAL['token']}"}
    case.call_and_validate(checks=CHECKS)
