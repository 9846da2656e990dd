"""Form helpers shared by every app."""

from __future__ import annotations

from django import forms

from waibao.core.errors import DomainError


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on the form: field messages inline, the rest at the top."""
    placed = False
    for name, message in exc.fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
        else:
            form.add_error(None, f"{name}: {message}")
            placed = True
    if not placed or exc.message not in exc.fields.values():
        form.add_error(None, exc.message)


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
