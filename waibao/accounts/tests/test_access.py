"""Every accounts page and endpoint, with the personas: what each reads, vendor B gets 404 for each of
vendor A's objects (its users, invitations, tokens), lists keep their query count (the rules:
`waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import (  # noqa: F401
    access_world_built,
    buyer,
    exempt,
    lst,
    obj,
    own,
    public,
    world,
)

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: "users.manage": admin
ADMIN_ONLY = ("manager", "quality", "finance", "auditor")


def vendor_id(o):
    return {"vendor_id": o["vendor"].pk}


HTML = {
    "accounts:login": public("signing in"),
    "accounts:verify": public("the second step of signing in (a pending sign-in in the session)"),
    "accounts:logout": exempt("signs out whoever asks; addresses nothing"),
    "accounts:language": exempt("sets the asking user's own language; addresses nothing"),
    "accounts:profile": own("the user's own account page"),
    "accounts:token-revoke": obj(lambda o: {"pk": o["token"].pk}, methods=("POST",)),
    "accounts:two-factor": own("the user's own second factor"),
    "accounts:users": buyer("user administration", deny=ADMIN_ONLY),
    "accounts:user-new": buyer("user administration", deny=ADMIN_ONLY),
    "accounts:user-edit": buyer("user administration", lambda o: {"pk": o["colleague"].pk}, deny=ADMIN_ONLY),
    "accounts:vendor-users": obj(lambda o: {"vendor_pk": o["vendor"].pk}),
    "accounts:invitation-action": obj(
        lambda o: {"pk": o["invitation"].pk, "action": "resend"}, methods=("POST",)
    ),
    "accounts:invitation-accept": public(
        "the invitee's link (no account yet)", lambda o: {"token": "no-such"}
    ),
}

API = {
    "GET accounts/me": own("the user's own account"),
    "GET accounts/tokens": lst(),
    "POST accounts/tokens": own("a token for the asking user", methods=("POST",)),
    "POST accounts/tokens/{token_id}/revoke": obj(lambda o: {"token_id": o["token"].pk}),
    "GET accounts/vendors/{vendor_id}/users": lst(vendor_id),
    "GET accounts/vendors/{vendor_id}/invitations": lst(vendor_id),
    "POST accounts/vendors/{vendor_id}/invitations": obj(vendor_id),
    "POST accounts/invitations/{invitation_id}/resend": obj(lambda o: {"invitation_id": o["invitation"].pk}),
    "POST accounts/invitations/{invitation_id}/revoke": obj(lambda o: {"invitation_id": o["invitation"].pk}),
}


class TestAccountsAccess(kit.AccessTests):
    namespaces = ("accounts",)
    tags = ("accounts",)
    html = HTML
    api = API
