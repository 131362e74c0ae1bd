"""The API's filter backend: django-filter's, refusing query parameters a list does not know.

An unknown field in a body is a 400 (``StrictSerializer``); so is an unknown query parameter, so that
``?statuss=closed`` is not silently answered with every hazard. A list knows its FilterSet's filters,
its pagination's parameters, ``format`` and whatever the view lists in ``extra_query_parameters``; a
parameter given with an empty value is a 400 too.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

PAGINATION_PARAMETERS = ("cursor", "page_size", "ordering")


def known_query_parameters(view) -> set[str]:
    known = {"format", *getattr(view, "extra_query_parameters", ())}
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        known.update(filterset_class.base_filters)
    if getattr(view, "pagination_class", None) is not None:
        known.update(PAGINATION_PARAMETERS)
    return known


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list":
            unknown = sorted(set(request.query_params) - known_query_parameters(view))
            if unknown:
                message = _("不支持的查询参数：%(names)s。") % {"names": "、".join(unknown)}
                raise exceptions.ValidationError({name: [message] for name in unknown})
            # ``?found_before=`` would silently filter nothing, as a form's blank field does; in the API a
            # parameter given is a parameter meant, so its value may not be empty (the schema says minLength 1).
            empty = sorted(name for name, values in request.query_params.lists() if "" in values)
            if empty:
                raise exceptions.ValidationError({name: [_("参数值不能为空。")] for name in empty})
        return super().filter_queryset(request, queryset, view)
