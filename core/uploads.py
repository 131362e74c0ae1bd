"""Uploaded evidence checked by its content and size, never by its name: JPEG, PNG, WebP and PDF."""

from __future__ import annotations

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


def sniff_content_type(head: bytes) -> str | None:
    """The content type the first 16 bytes of a file prove, or None."""
    for content_type, signature, offset in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type
    return None


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
        try:
            with Image.open(upload) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise field_error(field, _("图片“%(name)s”已损坏或无法识别。") % {"name": name}, "corrupt") from exc
    upload.seek(0)
    return content_type
