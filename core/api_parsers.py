"""JSON request bodies: a body nested deeper than the interpreter's recursion limit (e.g.
"[" * 100000) makes the json module raise RecursionError, not ValueError, which DRF's parser
lets through as a 500. It is the caller's bad input: a 400 in the one error shape."""
import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = "JSON の入れ子が深すぎます。"


def loads(raw):
    """json.loads for a request body: every malformed body is a ParseError (400)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ParseError(TOO_DEEP) from None
    except ValueError as exc:
        raise ParseError(f"JSON の形式が正しくありません: {exc}") from exc


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser (the API's default), refusing too deeply nested bodies with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
