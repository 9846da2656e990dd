from __future__ import annotations

from datetime import datetime
from typing import cast

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from waibao.accounts import services
from waibao.accounts.models import ApiToken, User
from waibao.core.apiutils import ERRORS

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
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
