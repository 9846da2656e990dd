"""Extension points so each app can add itself to the shell without the shell knowing the app.

- navigation: `nav_item(...)` adds a menu entry (shown only when the URL exists and the user may see it);
- panels: `panel("home" | "vendor", ...)` adds a block to the home dashboard or the vendor 360° page;
- demo: `demo_step(order, fn)` adds a step to `waibao demo`;
- schedule: `scheduled(command, minutes)` adds a job to the background schedule `make run` keeps.
Apps call these from their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class NavItem:
    section: str  # "buyer" | "vendor" | "admin"
    label: Any
    url_name: str
    order: int
    visible: Callable[[Any], bool] = field(default=lambda user: True)
    match: str = ""  # URL prefix that marks the item active


@dataclass(frozen=True)
class Panel:
    page: str  # "home" | "vendor"
    template: str
    order: int
    context: Callable[..., dict[str, Any] | None]  # (request, **kw) -> context, or None to hide


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[..., Any]


@dataclass(frozen=True)
class ScheduledJob:
    command: str
    minutes: int
    args: tuple[str, ...] = ()


NAV: list[NavItem] = []
PANELS: list[Panel] = []
DEMO: list[DemoStep] = []
SCHEDULE: list[ScheduledJob] = []


def nav_item(
    section: str,
    label: Any,
    url_name: str,
    order: int,
    visible: Callable[[Any], bool] | None = None,
    match: str = "",
) -> None:
    if any(i.url_name == url_name and i.section == section for i in NAV):
        return
    NAV.append(NavItem(section, label, url_name, order, visible or (lambda user: True), match))
    NAV.sort(key=lambda i: i.order)


def panel(page: str, template: str, order: int, context: Callable[..., dict[str, Any] | None]) -> None:
    if any(p.template == template and p.page == page for p in PANELS):
        return
    PANELS.append(Panel(page, template, order, context))
    PANELS.sort(key=lambda p: p.order)


def demo_step(order: int, name: str, run: Callable[..., Any]) -> None:
    if any(d.name == name for d in DEMO):
        return
    DEMO.append(DemoStep(order, name, run))
    DEMO.sort(key=lambda d: d.order)


def scheduled(command: str, minutes: int, *args: str) -> None:
    if any(j.command == command and j.args == args for j in SCHEDULE):
        return
    SCHEDULE.append(ScheduledJob(command, minutes, args))


def render_panels(page: str, request: HttpRequest, **kwargs: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for p in PANELS:
        if p.page != page:
            continue
        ctx = p.context(request, **kwargs)
        if ctx is not None:
            out.append((p.template, ctx))
    return out
