"""A report's table: from the rollup when it can answer, else live; the same metrics either way."""

from __future__ import annotations

from accounts.models import User
from reports import live, rollup
from reports.dimensions import DIMENSIONS


def closure_table(*, user: User, query: live.StatsQuery) -> live.Table:
    dimensions = tuple(DIMENSIONS[code] for code in query.group_by)
    stored = rollup.grouped(user=user, query=query, dimensions=dimensions)
    if stored is None:
        return live.closure_table(user=user, query=query)
    return live.assemble(
        user=user,
        query=query,
        found=stored.found,
        today=stored.today,
        as_of=stored.as_of,
        source=f"rollup:{stored.table}",
    )
