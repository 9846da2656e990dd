"""Who did it: the acting user of a service call, or a named system actor for scheduled jobs and commands.

Every service takes `actor: Actor`. A person is a `User`; work nobody clicked (the scheduler, a management
command, the import worker acting for nobody) passes `SYSTEM` or `CLI`. The audit trail records the user,
or the system actor's name; `user_of(actor)` is the user to store in a `created_by`-style column (None for
a system actor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from waibao.accounts.models import User


@dataclass(frozen=True)
class SystemActor:
    """A named actor that is not a person: shown in the history as its name."""

    name: str

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor("system")
CLI = SystemActor("cli")

Actor: TypeAlias = "User | SystemActor"


def user_of(actor: Actor | None) -> User | None:
    """The user behind `actor`, or None for a system actor (or an unsaved/anonymous user)."""
    if actor is None or isinstance(actor, SystemActor):
        return None
    return actor if getattr(actor, "pk", None) else None


def name_of(actor: Actor | None) -> str:
    """The name the history shows for `actor`."""
    user = user_of(actor)
    if user is not None:
        return str(user.get_username())
    return str(actor or SYSTEM)
