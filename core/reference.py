"""Rows of small reference tables (regions, sectors) by id, kept in each process.

Every hazard a list shows names its region, its county and its sector. Joining three tables for that
cost PostgreSQL more planning than the page itself and Django four model instances per row
(bench/api/README.md); the tables hold a few hundred rows that change a few times a year, through the
admin. So a model declares ``cached = ReferenceCache(key="code")`` and readers ask
``Region.cached.get(hazard.region_id)``, as ``ContentType.objects.get_for_id`` does for content types.

Rows are loaded on first use (``load`` fetches a page's worth in one query) and shared: read them, do
not change them. Saving or deleting a row forgets every row of its table in this process at once and,
when the transaction commits, in every other process: the change writes a new token to the shared
cache (Redis), which each process compares at most once every ``check_every`` seconds. Changes that
send no signals (``update()``, ``bulk_create()``, SQL) should call ``changed()``; whatever no one
announced (or, without Redis, whatever another process changed) is read afresh after ``max_age``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)


class ReferenceCache:
    check_every = 1.0  # seconds a process may go on trusting its rows after another process changed one
    max_age = 300.0  # seconds after which rows are read again even though no change was announced

    def __init__(
        self, *, key: str | None = None, select_related: tuple[str, ...] = (), max_age: float | None = None
    ) -> None:
        self.key = key  # a unique field rows are also looked up by, e.g. "code"
        self.select_related = select_related  # rows come with these (and a change to them is watched)
        if max_age is not None:
            self.max_age = max_age
        self.model: type[models.Model] | None = None
        self._by_id: dict[int, models.Model] = {}
        self._by_key: dict[Any, models.Model] = {}
        self._complete = False  # every row of the table is in _by_id (``all``)
        self._token: str | None = None
        self._checked = float("-inf")
        self._since = time.monotonic()

    def contribute_to_class(self, model: type[models.Model], name: str) -> None:
        setattr(model, name, self)
        self.bind(model)

    def bind(self, model: type[models.Model]) -> None:
        """Cache rows of ``model``: forget them when one of them, or a row they select, changes."""
        self.model = model
        for watched in (model, *(model._meta.get_field(name).related_model for name in self.select_related)):
            uid = f"reference-cache:{model._meta.label_lower}:{watched._meta.label_lower}"
            post_save.connect(self._on_change, sender=watched, weak=False, dispatch_uid=uid)
            post_delete.connect(self._on_change, sender=watched, weak=False, dispatch_uid=uid)

    @property
    def token_key(self) -> str:
        return f"reference-cache:{self.model._meta.label_lower}"

    def get(self, pk: int | None) -> models.Model | None:
        """The row with this id (None for None or a row that does not exist)."""
        if pk is None:
            return None
        self._check()
        row = self._by_id.get(pk)
        if row is None:
            self.load([pk])
            row = self._by_id.get(pk)
        return row

    def get_by_key(self, value: Any) -> models.Model | None:
        """The row whose ``key`` field equals ``value``, or None."""
        self._check()
        row = self._by_key.get(value)
        if row is None:
            row = self._rows().filter(**{self.key: value}).first()
            if row is not None:
                self._remember(row)
        return row

    def load(self, ids: Iterable[int | None]) -> None:
        """Fetch the rows not yet known in one query: call it with a whole page's ids before ``get``."""
        self._check()
        missing = {pk for pk in ids if pk is not None and pk not in self._by_id}
        if missing:
            for row in self._rows().filter(pk__in=missing):
                self._remember(row)

    def all(self) -> list[models.Model]:
        """Every row of the table, in no particular order: read in one query the first time (and after a
        change), then kept like the rows ``get`` returns (a report lists every county or sector)."""
        self._check()
        if not self._complete:
            for row in self._rows():
                self._remember(row)
            self._complete = True
        return list(self._by_id.values())

    def changed(self) -> None:
        """Forget the rows here now, and everywhere once the current transaction commits."""
        self.clear()
        transaction.on_commit(self._publish)

    def clear(self) -> None:
        self._by_id, self._by_key = {}, {}
        self._complete = False
        self._since = time.monotonic()

    def _rows(self) -> models.QuerySet:
        return self.model._base_manager.select_related(*self.select_related)

    def _remember(self, row: models.Model) -> None:
        self._by_id[row.pk] = row
        if self.key:
            self._by_key[getattr(row, self.key)] = row

    def _on_change(self, **kwargs: Any) -> None:
        self.changed()

    def _publish(self) -> None:
        # Rows read between the change and its commit may be the old ones: forget them again.
        self.clear()
        try:
            cache.set(self.token_key, uuid.uuid4().hex, timeout=None)
        except Exception:
            logger.exception("Could not tell other processes that %s changed", self.model._meta.label)

    def _check(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return
        self._checked = now
        try:
            token = cache.get(self.token_key)
        except Exception:
            # Without the shared cache nobody can tell us about changes: read the rows afresh.
            logger.warning("Shared cache unavailable; reloading %s", self.model._meta.label, exc_info=True)
            token = uuid.uuid4().hex
        if token != self._token or now - self._since > self.max_age:
            self._token = token
            self.clear()
