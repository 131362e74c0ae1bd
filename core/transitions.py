"""A table of allowed transitions: who (roles) may do what (action) from where (source) to where (target).

Each app with a workflow declares one ``TransitionTable`` in its ``choices.py`` and asks it in its
``permissions.py``; the services then move the row with a conditional UPDATE. The table knows nothing of
jurisdiction: whether the actor may see the object at all is the app's ``visible_to``, asked first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import F, Model

from core import errors


@dataclass(frozen=True)
class Transition:
    """``target`` None keeps the status (an action such as 修改信息 that moves nothing); ``source`` None
    is a creation."""

    action: str
    source: str | None
    target: str | None
    roles: frozenset[str]


def transition(action: str, source: str | None, target: str | None, *roles: str) -> Transition:
    return Transition(action, source, target, frozenset(roles))


class TransitionTable:
    """The transitions of one workflow, with the errors it raises worded for its objects."""

    def __init__(
        self,
        *transitions: Transition,
        illegal: type[errors.IllegalTransition] = errors.IllegalTransition,
        not_allowed: type[errors.NotAllowed] = errors.NotAllowed,
    ) -> None:
        self.transitions = transitions
        self.illegal = illegal
        self.not_allowed = not_allowed

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions)

    def find(self, action: str, source: str | None) -> Transition | None:
        return next((t for t in self.transitions if t.action == action and t.source == source), None)

    def role_may(self, role: str, action: str) -> bool:
        """Whether ``role`` may take ``action`` from some status."""
        return any(t.action == action and role in t.roles for t in self.transitions)

    def open_to(self, role: str, source: str) -> list[str]:
        """The actions ``role`` may take from ``source``, in table order."""
        return [t.action for t in self.transitions if t.source == source and role in t.roles]

    def check(self, *, role: str, action: str, source: str | None) -> Transition:
        """The transition ``role`` may take now, or the error that says why not: role first, then status."""
        if not self.role_may(role, action):
            raise self.not_allowed(status=source)
        found = self.find(action, source)
        if found is None:
            raise self.illegal(status=source)
        if role not in found.roles:
            raise self.not_allowed(status=source)
        return found


Row = TypeVar("Row", bound=Model)


def move(
    row: Row, target: str, now: datetime.datetime, *, conflict: type[errors.ConcurrentChange], **fields: object
) -> Row:
    """The conditional UPDATE of a row with ``status``, ``version`` and ``updated_at``: only if nobody moved
    it since this instance was read (else ``conflict``); the instance is brought up to date."""
    status, version = row.status, row.version  # type: ignore[attr-defined]
    updated = (
        type(row)
        ._default_manager.filter(pk=row.pk, status=status, version=version)
        .update(status=target, version=F("version") + 1, updated_at=now, **fields)
    )
    if updated != 1:
        raise conflict(status=status)
    for name, value in {**fields, "status": target, "version": version + 1, "updated_at": now}.items():
        setattr(row, name, value)
    return row
