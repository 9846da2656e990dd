"""The endpoints added for issue 10 answer bad input with a 4xx in the error shape, never a 500, on both
databases: impossible periods, ids beyond the integer range, null where a value is required, unknown choices."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/delivery/contracts/{code}/missed/1/9999-99", None),
        ("get", f"/api/v1/delivery/contracts/{{code}}/missed/{HUGE}/2026-10", None),
        ("get", "/api/v1/delivery/contracts/{code}/missed/1/2026-10?cursor=%ZZ", None),
        ("put", "/api/v1/quality/satisfaction/scale", {"contract": "{code}", "csat_scale": None}),
        ("put", "/api/v1/quality/satisfaction/scale", {"contract": "{code}", "csat_scale": "eleven"}),
        ("put", "/api/v1/quality/capas/CAPA-0000-9999/steps", {"steps": None}),
        ("post", "/api/v1/quality/inspections/INS-0000-9999/all-conform", {}),
        ("post", f"/api/v1/accounts/invitations/{HUGE}/resend", {}),
        ("post", "/api/v1/accounts/vendors/{vendor}/invitations", {"email": None}),
        ("post", "/api/v1/accounts/vendors/{vendor}/invitations", {"email": "not-an-address"}),
        ("patch", f"/api/v1/contracts/clause-library/{HUGE}", {"title": None}),
    ],
)
def test_new_endpoints_answer_bad_input_without_a_server_error(
    api_client, admin_user, contract_a, method, path, body
):
    url = path.format(code=contract_a.code, vendor=contract_a.vendor_id)
    if body is not None:
        body = {k: (v.format(code=contract_a.code) if isinstance(v, str) else v) for k, v in body.items()}
    client = api_client(admin_user)
    call = getattr(client, method)
    response = call(url, body, content_type="application/json") if body is not None else call(url)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert "message" in response.json() or "detail" in response.json()
