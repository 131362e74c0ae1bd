"""The hazards' lists' orders and cursors (the keyset pagination of core.api.pagination)."""

from __future__ import annotations

from core.api.pagination import KeysetPagination


class HazardPagination(KeysetPagination):
    orderings = ("-found_at", "found_at", "deadline", "-deadline", "updated_at", "-updated_at")
    default_ordering = "-found_at"


class ExtensionPagination(KeysetPagination):
    orderings = ("-requested_at", "requested_at")
    default_ordering = "-requested_at"
