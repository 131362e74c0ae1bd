"""A report's table: from the rollup when it can answer, else live; the same metrics either way."""

from __future__ import annotations

from accounts.models import User
from reports import live, rollup
from reports.dimensions import DIMENSIONS


def closure_table(
    *, user: User, query: live.StatsQuery, numbers: bool = False, state: rollup.State | None = None
) -> live.Table:
    """``numbers``: the figures as JSON carries them (floats), see ``live.assemble``; ``state``: the
    rollup's, when the caller has read it already."""
    dimensions = tuple(DIMENSIONS[code] for code in query.group_by)
    stored = rollup.grouped(user=user, query=query, dimensions=dimensions, state=state)
    if stored is None:
        return live.closure_table(user=user, query=query, numbers=numbers)
    return live.assemble(
        user=user,
        query=query,
        found=stored.found,
        today=stored.today,
        as_of=stored.as_of,
        source=f"rollup:{stored.table}",
        numbers=numbers,
    )
