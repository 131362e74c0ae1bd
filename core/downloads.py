"""The one way a stored file is sent: evidence attachments and background job results.

MEDIA is never served by URL (nothing maps ``MEDIA_URL``, and a proxy must not either): every file goes
out through a view that first found its record through ``visible_to``, then through this function.
The type is the one sniffed and stored at upload, never guessed again from a name, and
``X-Content-Type-Options: nosniff`` stops a browser second-guessing it. Only photos open in the page;
everything else, PDFs included (a PDF can carry an ``/OpenAction`` script), is a download.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def file_response(file: FieldFile, *, filename: str, content_type: str | None = None) -> FileResponse:
    """``file`` as a response; 404 when it has gone from storage.

    Without ``content_type`` the type follows ``filename`` (a job's result: a name the server chose).
    """
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=content_type not in INLINE_TYPES, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Evidence is private: a shared cache between the user and the server must not keep it.
    patch_cache_control(response, private=True)
    return response
