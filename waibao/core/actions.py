"""Small action forms on a page — close with a reason, return with a comment, decide with a note.

A detail page carries several of them, written by hand in its template. When the service refuses the
action (``DomainError``) the page the form sits on comes back — not a redirect — with what the user typed
still in that form, each message of ``DomainError.fields`` beside its field and the general message at
the top of the form. Plain POST and HTMX alike: the view renders its page, an HTMX request swaps what it
selects from it.

    def ncr_action(request, code, action):
        ncr = access.get_ncr(request.user, code)
        return act(
            request, action,
            lambda: services.close_nonconformance(ncr=ncr, actor=request.user, reason=request.POST["reason"]),
            ok=_("不合格已关闭。"),
            done=lambda _result: redirect("quality:ncr-detail", code=ncr.code),
            page=lambda refused: _ncr_page(request, ncr, refused=refused),
        )

The page puts ``refused`` in its context; each action form in the template reads back only its own
refusal (``{% load action_forms %}``, see ``core/templatetags/action_forms.py``):

    <form method="post" action="…/close/">{% action_errors "close" %}
      <textarea name="reason" class="form-control{% invalid 'close' 'reason' %}">{% kept "close" "reason" %}</textarea>
      {% field_errors "close" "reason" %}

Django forms show the same refusal with ``core.forms.apply_domain_error``; both place messages with
``core.forms.place_domain_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from waibao.core.errors import DomainError
from waibao.core.forms import place_domain_error

NOT_TYPED = {"csrfmiddlewaretoken"}


@dataclass
class Refusal:
    """A refused action form: which one (``action``, and ``key`` when the page repeats the form, e.g. one
    per dispute), what was posted, and where each message goes. ``shown`` turns true when the page
    displays the form (see ``act``)."""

    action: str
    data: Any  # the posted QueryDict (or any mapping)
    messages: list[str] = field(default_factory=list)  # shown at the top of the form
    errors: dict[str, list[str]] = field(default_factory=dict)  # shown beside each field
    key: str = ""
    shown: bool = False

    @classmethod
    def of(
        cls,
        action: str,
        data: Any,
        exc: DomainError,
        *,
        names: Iterable[str] | None = None,
        rename: Mapping[str, str] | None = None,
        key: Any = "",
    ) -> Refusal:
        """``names``: the form's fields (default: every posted name); ``rename``: service field → form
        field where they differ (``{"response": "comment"}``)."""
        if rename:
            exc = DomainError(
                exc.message,
                fields={rename.get(k, k): v for k, v in exc.fields.items()},
                code=exc.code,
                status=exc.status,
            )
        known = set(names) if names is not None else {k for k in data if k not in NOT_TYPED}
        inline, top = place_domain_error(exc, known)
        return cls(action=action, data=data, messages=top, errors=inline, key=str(key))

    def is_for(self, action: str, key: Any = "") -> bool:
        return self.action == action and self.key == str(key)

    def all_messages(self) -> list[str]:
        return list(dict.fromkeys([*self.messages, *(m for ms in self.errors.values() for m in ms)]))

    def value(self, name: str, default: str = "") -> str:
        return str(self.data.get(name, default))

    def values(self, name: str) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        if getlist is not None:
            return [str(v) for v in getlist(name)]
        v = self.data.get(name)
        return [] if v is None else [str(v)]


def act(
    request: HttpRequest,
    action: str,
    fn: Callable[[], Any],
    *,
    ok: str | Callable[[Any], str],
    done: Callable[[Any], HttpResponse],
    page: Callable[[Refusal], HttpResponse],
    names: Iterable[str] | None = None,
    rename: Mapping[str, str] | None = None,
    key: Any = "",
) -> HttpResponse:
    """Run one action's service. Done: the success message (``ok``, or ``ok(result)``) and ``done(result)``,
    usually a redirect. Refused: ``page(refusal)`` — the page the form came from, with what was typed."""
    try:
        result = fn()
    except DomainError as exc:
        return refuse(request, action, exc, page, names=names, rename=rename, key=key)
    text = ok(result) if callable(ok) else ok
    if text:
        messages.success(request, text)
    return done(result)


def refuse(
    request: HttpRequest,
    action: str,
    exc: DomainError,
    page: Callable[[Refusal], HttpResponse],
    *,
    names: Iterable[str] | None = None,
    rename: Mapping[str, str] | None = None,
    key: Any = "",
) -> HttpResponse:
    """The refused page, for a view that calls its service itself (several services, a Django form).

    When the page no longer offers the refused form (the record moved on meanwhile, so the form is not
    there to keep the text), the messages go to the top of the page instead."""
    refusal = Refusal.of(action, request.POST, exc, names=names, rename=rename, key=key)
    response = page(refusal)
    if not refusal.shown:
        for message in refusal.all_messages():
            messages.error(request, message)
        response = page(refusal)
    return response


def attempt(request: HttpRequest, fn: Callable[[], Any], ok: str | Callable[[Any], str]) -> Any:
    """A button with nothing typed (start the 8D, delete a clause): run the service and say how it went
    at the top of the next page. Returns the service's result, or None when it was refused."""
    try:
        result = fn()
    except DomainError as exc:
        for message in Refusal.of("", {}, exc).all_messages():
            messages.error(request, message)
        return None
    text = ok(result) if callable(ok) else ok
    if text:
        messages.success(request, text)
    return result
