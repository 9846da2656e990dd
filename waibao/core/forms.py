"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from waibao.core.errors import DomainError


def place_domain_error(exc: DomainError, names: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Where a service's refusal is shown on a form with the fields ``names``: each message of
    ``exc.fields`` beside its field, the others at the top, and the general message at the top unless it
    only repeats a field's. A field name that is a code (``reason``) is never shown; a name written for
    people (``第 3 行``) leads its message."""
    known = set(names)
    inline: dict[str, list[str]] = {}
    top: list[str] = []
    for name, message in exc.fields.items():
        if name in known:
            inline.setdefault(name, []).append(message)
        elif name.isascii() and name.replace(".", "_").isidentifier():
            top.append(message)
        else:
            top.append(f"{name}: {message}")
    if not exc.fields or exc.message not in exc.fields.values():
        top.insert(0, exc.message)
    return inline, list(dict.fromkeys(top))


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on the form: field messages inline, the rest at the top."""
    inline, top = place_domain_error(exc, form.fields)
    for name, found in inline.items():
        for message in found:
            form.add_error(name, message)
    for message in top:
        form.add_error(None, message)


class BootstrapMixin:
    """Adds Bootstrap classes to widgets so every form looks the same without per-field markup."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for f in self.fields.values():  # type: ignore[attr-defined]
            w = f.widget
            if isinstance(w, forms.CheckboxInput | forms.RadioSelect):
                w.attrs.setdefault("class", "form-check-input")  # radios: one .form-check each (core/_form.html)
            elif isinstance(w, forms.Select | forms.SelectMultiple):
                w.attrs.setdefault("class", "form-select")
            else:
                w.attrs.setdefault("class", "form-control")
