from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from waibao.accounts import services
from waibao.accounts.models import ApiToken, Invitation, InvitationState, Role, User
from waibao.core.apiutils import ERRORS, Choice
from waibao.vendors.models import Vendor

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: Annotated[str, Choice(Role)]
    vendor_id: int | None
    language: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = "API"


class NewTokenOut(TokenOut):
    token: str


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> object:
    return request.user


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def list_tokens(request: HttpRequest) -> object:
    return ApiToken.objects.filter(user=cast(User, request.user))


@router.post("/tokens", response={201: NewTokenOut, **ERRORS})
def create_token(request: HttpRequest, payload: TokenIn) -> object:
    token, raw = services.create_api_token(user=request.user, actor=request.user, name=payload.name)  # type: ignore[arg-type]
    return 201, {**TokenOut.from_orm(token).dict(), "token": raw}


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int) -> object:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    return services.revoke_api_token(token=token, actor=request.user)


# --- vendor users and invitations ------------------------------------------------------------------


class VendorUserOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    is_active: bool
    last_login: datetime | None


class InvitationOut(Schema):
    id: int
    email: str
    full_name: str
    vendor_id: int
    language: str
    state: Annotated[str, Choice(InvitationState)]
    sent_at: datetime | None
    send_count: int
    expires_at: datetime | None
    accepted_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_state(obj: object) -> str:
        from waibao.core import clock

        return str(obj.state(clock.now()))  # type: ignore[attr-defined]


class InvitationIn(Schema):
    email: str
    full_name: str = ""
    language: str = "zh-hans"


class InvitationSentOut(Schema):
    invitation: InvitationOut
    sent: bool  # false when the mail server did not take the message (resend later)


def _vendor(request: HttpRequest, vendor_id: int) -> Vendor:
    from waibao.vendors.access import get_vendor

    return get_vendor(request.user, vendor_id)  # another vendor: 404


def _invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    invitation = get_object_or_404(Invitation.objects.select_related("vendor"), pk=invitation_id)
    _vendor(request, invitation.vendor_id)
    return invitation


def _link_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@router.get("/vendors/{vendor_id}/users", response={200: list[VendorUserOut], **ERRORS})
def vendor_users(request: HttpRequest, vendor_id: int) -> object:
    return User.objects.filter(vendor=_vendor(request, vendor_id)).order_by("username")


@router.get("/vendors/{vendor_id}/invitations", response={200: list[InvitationOut], **ERRORS})
def vendor_invitations(request: HttpRequest, vendor_id: int) -> object:
    return Invitation.objects.filter(vendor=_vendor(request, vendor_id))


@router.post("/vendors/{vendor_id}/invitations", response={201: InvitationSentOut, **ERRORS})
def invite(request: HttpRequest, vendor_id: int, payload: InvitationIn) -> object:
    result = services.invite_vendor_user(
        actor=request.user, vendor=_vendor(request, vendor_id), link_base=_link_base(request), **payload.dict()
    )
    return 201, {"invitation": result.invitation, "sent": result.sent}


@router.post("/invitations/{invitation_id}/resend", response={200: InvitationSentOut, **ERRORS})
def resend(request: HttpRequest, invitation_id: int) -> object:
    result = services.resend_invitation(
        invitation=_invitation(request, invitation_id),
        actor=request.user,
        link_base=_link_base(request),
    )
    return {"invitation": result.invitation, "sent": result.sent}


@router.post("/invitations/{invitation_id}/revoke", response={200: InvitationOut, **ERRORS})
def revoke(request: HttpRequest, invitation_id: int) -> object:
    return services.revoke_invitation(invitation=_invitation(request, invitation_id), actor=request.user)
