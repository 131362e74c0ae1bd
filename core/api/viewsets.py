"""The base viewsets of the API: scoped unless named otherwise.

Every viewset of every app derives from one of these. ``ScopedRetrieveViewSet`` is the one choke point
of jurisdiction, for ``ScopedReadOnlyViewSet`` (list and detail) and itself (detail only): the queryset
is what ``visible_to(user)`` allows, so anything outside the caller's jurisdiction is a 404 on every
detail and action URL. The only way around it is to derive from ``UnscopedReadOnlyViewSet``, whose name
says so at the class statement, for the code lists every signed-in user may read (sectors, departments).
``tests/test_outsiders.py`` walks every route.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

# The bases carry comments, not docstrings: drf-spectacular would show a docstring as the description
# of every operation of a viewset that has none of its own.


# Detail and action URLs without a list (a background job is polled by its id, never browsed).
class ScopedRetrieveViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    def get_queryset(self) -> QuerySet:
        return super().get_queryset().visible_to(self.request.user)


# A scoped list as well as the detail and action URLs.
class ScopedReadOnlyViewSet(mixins.ListModelMixin, ScopedRetrieveViewSet):
    # What a list selects, when it differs from what the detail and action URLs read: e.g. plain rows
    # (``values()``) prepared once, where the others need model instances.
    list_queryset: QuerySet | None = None

    def get_queryset(self) -> QuerySet:
        if self.action == "list" and self.list_queryset is not None:
            return self.list_queryset.all().visible_to(self.request.user)
        return super().get_queryset()


# Readable in full by every signed-in user: code lists with no jurisdiction of their own.
class UnscopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass
