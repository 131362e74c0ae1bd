"""Where the hazard services' writes go: the database at once (always, unless the caller says otherwise),
or a ``HistoryBatch`` that keeps them and writes them in bulk when the batch ends.

The services decide; the store only records. Every rule, date check and event of a service runs the
same way in both, so a history import (the demo, a 台账 import) recording thousands of hazards' pasts is
the services' work, written in a few bulk statements instead of one round trip per step:

    with recording_history():
        hazard = services.hazard_register(details=..., by=officer, at=found)
        services.hazard_assign(hazard=hazard, ..., at=later)
    # everything is written here, in one transaction, or nothing if the block raised

A batch records only hazards it creates itself (an import of history has no rows yet), so nobody else
can move them meanwhile and the version checks of the database store have nothing to race with.
"""

from __future__ import annotations

import contextvars
import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from hazards import search
from hazards.choices import Action, AttachmentPhase, ExtensionStatus
from hazards.models import Attachment, ExtensionRequest, Hazard, HazardEvent, ReminderSchedule, SupervisionListing
from hazards.services.numbers import claim_hazard_numbers, claim_notice_numbers

_BULK = 1000


def number_year(hazard: Hazard) -> int:
    """Hazards are numbered per county and the local year of discovery."""
    assert hazard.found_at is not None
    return timezone.localtime(hazard.found_at).year


def notice_year(listing: SupervisionListing) -> int:
    """督办通知书 are numbered per office and the local year of listing."""
    return timezone.localtime(listing.listed_at).year


def schedule_reminders(*, hazard_ids: Iterable[int], at: datetime.datetime | None) -> None:
    """Have the reminder sweep look at these hazards at ``at``; None once they are closed or voided."""
    ReminderSchedule.objects.bulk_create(
        [ReminderSchedule(hazard_id=pk, due_at=at) for pk in hazard_ids],
        update_conflicts=True,
        unique_fields=["hazard"],
        update_fields=["due_at"],
        batch_size=_BULK,
    )


# Fields whose Python value is what PostgreSQL stores (psycopg2 adapts it): no per-cell preparation.
_PLAIN_FIELDS = (
    models.CharField,  # TextChoices members are str
    models.TextField,
    models.IntegerField,  # and its Positive/Small/Big kin
    models.BooleanField,
    models.DateField,  # and DateTimeField: the services' moments are aware
    models.ForeignKey,  # by its column (attname): the related row's pk
)


def _bulk_insert(model: type[models.Model], objects: list[Any]) -> None:
    """``model.objects.bulk_create(objects)`` for rows the services built in full (no auto_now fields, no
    file to save), as Django does it on PostgreSQL (``INSERT … SELECT * FROM UNNEST(column arrays)
    RETURNING id``, ``_BULK`` rows a statement, the pks set on the instances) without preparing every
    cell through its field, which took a third of a 台账 import's Python time: only JSON and decimal
    cells are. Elsewhere (SQLite under ``make run``) Django's own ``bulk_create``."""
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=_BULK)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    prepared = [None if isinstance(field, _PLAIN_FIELDS) else field for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    arrays = ", ".join(f"%s::{str(field.db_type(connection)).split('(')[0]}[]" for field in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM UNNEST({arrays}) "
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objects), _BULK):
            chunk = objects[start : start + _BULK]
            params = []
            for field, preparing in zip(fields, prepared, strict=True):
                values = [getattr(obj, field.attname) for obj in chunk]
                if preparing is not None:
                    values = [preparing.get_db_prep_save(value, connection) for value in values]
                params.append(values)
            cursor.execute(sql, params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias


def _fill_and_check(ids: list[int], dbapi_connection: Any) -> None:
    """A flush's search rows, then the deferred foreign key checks of everything written so far, now (as
    Django's ``check_constraints``) rather than all at the commit, which would run them after the last
    row, when nothing else is left to overlap them."""
    search.fill(ids, dbapi_connection=dbapi_connection)
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class DatabaseStore:
    """Each write at once, in the caller's transaction: what every request and task uses."""

    def atomic(self) -> AbstractContextManager[Any]:
        """What a service's writes that belong together run in."""
        return transaction.atomic()

    def insert_hazard(self, hazard: Hazard) -> None:
        (hazard.number,) = claim_hazard_numbers(county=hazard.county, year=number_year(hazard), count=1)
        hazard.save(force_insert=True)

    def move(self, hazard: Hazard, *, status: str, fields: dict[str, Any], now: datetime.datetime) -> bool:
        """The conditional UPDATE: only if the row is still at the status and version this instance holds."""
        updated = Hazard.objects.filter(pk=hazard.pk, status=hazard.status, version=hazard.version).update(
            status=status, version=F("version") + 1, updated_at=now, **fields
        )
        return updated == 1

    def current_status(self, hazard: Hazard) -> str | None:
        return Hazard.objects.filter(pk=hazard.pk).values_list("status", flat=True).first()

    def add_event(self, event: HazardEvent) -> None:
        event.save()

    def schedule(self, hazard: Hazard, at: datetime.datetime | None) -> None:
        schedule_reminders(hazard_ids=[hazard.pk], at=at)

    def add_attachment(self, attachment: Attachment, upload: UploadedFile, *, name: str) -> None:
        """``name`` is the stored file's name (chosen by the content, never by the client)."""
        attachment.file.save(name, upload, save=False)
        attachment.save()

    def has_attachment(self, hazard: Hazard, phase: AttachmentPhase, *, since: datetime.datetime | None = None) -> bool:
        """Whether evidence of ``phase`` is on record (uploaded after ``since``, when given)."""
        found = Attachment.objects.filter(hazard=hazard, phase=phase)
        return (found.filter(uploaded_at__gt=since) if since else found).exists()

    def last_rejected_at(self, hazard: Hazard) -> datetime.datetime | None:
        """When the hazard was last sent back (退回), if ever."""
        rejections = HazardEvent.objects.filter(hazard=hazard, action=Action.REJECT).order_by("-at")
        return rejections.values_list("at", flat=True).first()

    def add_listing(self, listing: SupervisionListing) -> None:
        office = listing.authority_region
        (listing.notice_number,) = claim_notice_numbers(office=office, year=notice_year(listing), count=1)
        listing.save()

    def active_listing(self, hazard: Hazard) -> SupervisionListing | None:
        return SupervisionListing.objects.filter(hazard=hazard, lifted_at__isnull=True).first()

    def lift_listing(self, listing: SupervisionListing, **values: Any) -> bool:
        return SupervisionListing.objects.filter(pk=listing.pk, lifted_at__isnull=True).update(**values) == 1

    def add_extension(self, extension: ExtensionRequest) -> None:
        extension.save()

    def has_pending_extension(self, hazard: Hazard) -> bool:
        return ExtensionRequest.objects.filter(hazard=hazard, status=ExtensionStatus.PENDING).exists()

    def decide_extension(self, extension: ExtensionRequest, **values: Any) -> bool:
        pending = ExtensionRequest.objects.filter(pk=extension.pk, status=ExtensionStatus.PENDING)
        if pending.update(**values) != 1:
            return False
        extension.refresh_from_db()
        return True

    def lapse_extensions(self, hazard: Hazard, **values: Any) -> None:
        ExtensionRequest.objects.filter(hazard=hazard, status=ExtensionStatus.PENDING).update(**values)


class HistoryBatch(DatabaseStore):
    """Keeps every write of the hazards it creates and writes them in bulk in ``flush``.

    Reads the services make of those hazards (a photo on record, an active listing, a pending request)
    are answered from what the batch holds. Numbers are claimed at flush, a block per county and year,
    so a batch never holds a number another writer could take too.
    """

    def __init__(self) -> None:
        self.written = 0  # hazards written by the flushes so far
        self._indexer: ThreadPoolExecutor | None = None
        self._indexing: Future[None] | None = None
        self._forget()

    def _forget(self) -> None:
        self.hazards: list[Hazard] = []
        self.events: list[HazardEvent] = []
        self.attachments: list[tuple[Attachment, UploadedFile, str]] = []
        self.listings: list[SupervisionListing] = []
        self.extensions: list[ExtensionRequest] = []
        self._own: set[int] = set()  # id() of the hazards created here: instances have no pk yet
        self._photos: dict[tuple[int, str], datetime.datetime] = {}  # latest upload per hazard and phase
        self._rejected: dict[int, datetime.datetime] = {}
        self._listings_of: defaultdict[int, list[SupervisionListing]] = defaultdict(list)
        # The events that name a listing's number (挂牌, 摘牌), completed once flush has numbered it.
        self._listing_events: list[tuple[HazardEvent, SupervisionListing]] = []
        self._extensions_of: defaultdict[int, list[ExtensionRequest]] = defaultdict(list)
        self._schedules: dict[int, tuple[Hazard, datetime.datetime | None]] = {}

    def _mine(self, hazard: Hazard) -> int:
        key = id(hazard)
        if key not in self._own:
            raise ValueError("a history batch records only the hazards it creates")
        return key

    def atomic(self) -> AbstractContextManager[Any]:
        return nullcontext()  # the whole batch is written in one transaction by flush

    def insert_hazard(self, hazard: Hazard) -> None:
        self.hazards.append(hazard)
        self._own.add(id(hazard))

    def move(self, hazard: Hazard, *, status: str, fields: dict[str, Any], now: datetime.datetime) -> bool:
        self._mine(hazard)
        return True  # the caller sets the new values on the instance, which is what flush writes

    def add_event(self, event: HazardEvent) -> None:
        key = self._mine(event.hazard)
        if event.action == Action.REJECT:
            self._rejected[key] = event.at
        if event.action in (Action.LIST_SUPERVISION, Action.LIFT_SUPERVISION):
            self._listing_events.append((event, self._listings_of[key][-1]))
        self.events.append(event)

    def schedule(self, hazard: Hazard, at: datetime.datetime | None) -> None:
        self._schedules[self._mine(hazard)] = (hazard, at)

    def add_attachment(self, attachment: Attachment, upload: UploadedFile, *, name: str) -> None:
        key = (self._mine(attachment.hazard), attachment.phase)
        self._photos[key] = max(attachment.uploaded_at, self._photos.get(key, attachment.uploaded_at))
        self.attachments.append((attachment, upload, name))

    def has_attachment(self, hazard: Hazard, phase: AttachmentPhase, *, since: datetime.datetime | None = None) -> bool:
        latest = self._photos.get((self._mine(hazard), phase))
        return latest is not None and (since is None or latest > since)

    def last_rejected_at(self, hazard: Hazard) -> datetime.datetime | None:
        return self._rejected.get(self._mine(hazard))

    def add_listing(self, listing: SupervisionListing) -> None:
        self._listings_of[self._mine(listing.hazard)].append(listing)
        self.listings.append(listing)

    def active_listing(self, hazard: Hazard) -> SupervisionListing | None:
        return next((x for x in self._listings_of[self._mine(hazard)] if x.lifted_at is None), None)

    def lift_listing(self, listing: SupervisionListing, **values: Any) -> bool:
        for name, value in values.items():
            setattr(listing, name, value)
        return True

    def add_extension(self, extension: ExtensionRequest) -> None:
        self._extensions_of[self._mine(extension.hazard)].append(extension)
        self.extensions.append(extension)

    def _pending(self, hazard: Hazard) -> list[ExtensionRequest]:
        return [x for x in self._extensions_of[self._mine(hazard)] if x.status == ExtensionStatus.PENDING]

    def has_pending_extension(self, hazard: Hazard) -> bool:
        return bool(self._pending(hazard))

    def decide_extension(self, extension: ExtensionRequest, **values: Any) -> bool:
        if extension not in self._pending(extension.hazard):
            return False
        for name, value in values.items():
            setattr(extension, name, value)
        return True

    def lapse_extensions(self, hazard: Hazard, **values: Any) -> None:
        for extension in self._pending(hazard):
            for name, value in values.items():
                setattr(extension, name, value)

    def flush(self) -> None:
        """Write everything the batch holds, in the batch's transaction, and forget it: the hazards written
        can no longer be changed in this batch. A long import flushes every so often to bound its memory;
        the batch's end flushes the rest. Their numbers are known (and the rows' pks) once written."""
        by_year: defaultdict[tuple[int, int], list[Hazard]] = defaultdict(list)
        for hazard in self.hazards:
            by_year[hazard.county_id, number_year(hazard)].append(hazard)
        for group in by_year.values():
            numbers = claim_hazard_numbers(county=group[0].county, year=number_year(group[0]), count=len(group))
            for hazard, number in zip(group, numbers, strict=True):
                hazard.number = number
        with search.deferred():
            _bulk_insert(Hazard, self.hazards)
        self._number_listings()
        for attachment, upload, name in self.attachments:
            attachment.hazard = attachment.hazard  # its pk is known now, and names the file's folder
            attachment.file.save(name, upload, save=False)
        Attachment.objects.bulk_create([attachment for attachment, _, _ in self.attachments], batch_size=_BULK)
        for event in self.events:
            event.hazard = event.hazard  # the hazard's pk is known now
        _bulk_insert(HazardEvent, self.events)
        SupervisionListing.objects.bulk_create(self.listings, batch_size=_BULK)
        ExtensionRequest.objects.bulk_create(self.extensions, batch_size=_BULK)
        ReminderSchedule.objects.bulk_create(
            [ReminderSchedule(hazard=hazard, due_at=at) for hazard, at in self._schedules.values()],
            batch_size=_BULK,
        )
        self._index([hazard.pk for hazard in self.hazards])
        self.written += len(self.hazards)
        self._forget()

    def _index(self, ids: list[int]) -> None:
        """Fill the search rows of the hazards just written (hazards/search.py, ``deferred``) and check
        the foreign keys of this flush's rows on a thread of the batch's own, over this thread's psycopg2
        connection (thread-safe: two threads' statements take turns), so that PostgreSQL does it while the
        services record the next rows in Python: on two cores the database's slowest work of an import
        (~0.6 ms a hazard) overlaps the services' own. The batch's transaction is the connection's: the
        rows commit or roll back with everything else."""
        if not (ids and search.indexed()):
            return
        self.settle()
        if self._indexer is None:
            self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-search")
        connection.ensure_connection()
        self._indexing = self._indexer.submit(_fill_and_check, ids, connection.connection)

    def settle(self) -> None:
        """Wait for the search rows being filled, if any: their error is the batch's (and the cause of
        whatever this thread's next statement met: the transaction is aborted)."""
        indexing, self._indexing = self._indexing, None
        if indexing is not None:
            indexing.result()

    def close(self) -> None:
        if self._indexer is not None:
            self._indexer.shutdown(wait=True)
            self._indexer = None

    def _number_listings(self) -> None:
        """Each office's 文号 of a year in order of listing, and the 挂牌 and 摘牌 events that name them."""
        by_office: defaultdict[tuple[int, int], list[SupervisionListing]] = defaultdict(list)
        for listing in sorted(self.listings, key=lambda x: x.listed_at):
            by_office[listing.authority_region_id, notice_year(listing)].append(listing)
        for group in by_office.values():
            office, year = group[0].authority_region, notice_year(group[0])
            for listing, number in zip(
                group, claim_notice_numbers(office=office, year=year, count=len(group)), strict=True
            ):
                listing.notice_number = number
        for event, listing in self._listing_events:
            lifted = event.action == Action.LIFT_SUPERVISION
            event.changes = {
                **event.changes,
                "supervision": [listing.notice_number, None] if lifted else [None, listing.notice_number],
            }


_DATABASE = DatabaseStore()
_current: contextvars.ContextVar[DatabaseStore] = contextvars.ContextVar("hazard_store", default=_DATABASE)


def current_store() -> DatabaseStore:
    return _current.get()


@contextmanager
def recording_history() -> Iterator[HistoryBatch]:
    """Record the services' writes of new hazards' histories in bulk when the block ends without error.

    The block is one transaction: what ``batch.flush()`` writes inside it (a long import, every few
    thousand hazards) is committed with the rest when the block ends, or rolled back with it."""
    if isinstance(_current.get(), HistoryBatch):
        raise RuntimeError("history batches do not nest")
    batch = HistoryBatch()
    token = _current.set(batch)
    try:
        with transaction.atomic():
            try:
                yield batch
                batch.flush()
            except BaseException:
                batch.settle()  # before the rollback; raises the filling's error if it failed
                raise
            batch.settle()
    finally:
        batch.close()
        _current.reset(token)
