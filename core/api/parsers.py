"""The API's JSON parser: DRF's, with a body nested too deep for the parser answered 400, not 500."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.load recurses once per nesting level: `[[[[…` 50,000 deep exhausts the stack.
            raise exceptions.ParseError(_("请求内容嵌套层级过深。")) from None
