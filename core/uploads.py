"""Uploaded evidence checked by its content and size, never by its name: JPEG, PNG, WebP and PDF.

The client's file name is kept only for display (``Attachment.original_name``); the file is stored as
``<random>.<extension of the sniffed type>`` (``stored_name``), so no name or extension a client chose
ever reaches the storage or a URL. An image's size in pixels is read from its header and checked before
anything decodes it: a few hundred bytes of PNG can claim 100 megapixels, which every viewer's browser
would then decode.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.errors import field_error

_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
    ("application/pdf", b"%PDF-", 0),
)
# The extension a stored file gets, by the type its content proved.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
EVIDENCE_TYPES = tuple(EXTENSIONS)
_OTHER_EXTENSIONS = {"image/jpeg": ("jpeg", "jpe")}


def sniff_content_type(head: bytes) -> str | None:
    """The content type the first 16 bytes of a file prove, or None."""
    for content_type, signature, offset in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type
    return None


def stored_name(content_type: str) -> str:
    """A fresh file name for content of ``content_type``: random, with the extension of that type."""
    return f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"


def download_name(name: str, content_type: str) -> str:
    """The client's file name for a download, ending in an extension of what the file is: a photo
    uploaded as ``现场.html`` is saved as ``现场.html.png``, never opened later as a page."""
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        return name
    _stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in (extension, *_OTHER_EXTENSIONS.get(content_type, ())):
        return name
    return f"{name}.{extension}"


def validate_upload(upload: UploadedFile, field: str = "photos") -> str:
    """The file's real content type, or a ValidationError in Chinese naming the file."""
    name = upload.name or ""
    if upload.size is None or upload.size == 0:
        raise field_error(field, _("文件“%(name)s”是空文件。") % {"name": name}, "empty")
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        limit = filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        raise field_error(
            field, _("文件“%(name)s”超过 %(limit)s 的上限。") % {"name": name, "limit": limit}, "too_large"
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise field_error(field, _("文件“%(name)s”不是 JPEG、PNG、WebP 图片或 PDF 文件。") % {"name": name}, "bad_type")
    if content_type.startswith("image/"):
        upload.seek(0)
        _check_image(upload, name, field)
    upload.seek(0)
    return content_type


def _check_image(upload: UploadedFile, name: str, field: str) -> None:
    """The header's pixel count within ATTACHMENT_MAX_PIXELS, then Pillow's structural check.

    ``Image.open`` reads the header only; Pillow itself warns past its own limit of about 89 megapixels
    and refuses (DecompressionBombError) past twice that, cases answered with the same message.
    """
    too_many = field_error(
        field,
        _("图片“%(name)s”的像素过多，上限为 %(limit)d 万像素，请缩小后再上传。")
        % {"name": name, "limit": settings.ATTACHMENT_MAX_PIXELS // 10_000},
        "too_many_pixels",
    )
    try:
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > settings.ATTACHMENT_MAX_PIXELS:
                raise too_many
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # the warning, where it is an error
        raise too_many from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise field_error(field, _("图片“%(name)s”已损坏或无法识别。") % {"name": name}, "corrupt") from exc
