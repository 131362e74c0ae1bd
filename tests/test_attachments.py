"""Evidence uploads are checked by content and size, never by name, and refused in Chinese."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from hazards import services
from hazards.choices import AttachmentPhase
from hazards.errors import NotAllowed, NotFound
from hazards.models import Attachment
from hazards.tasks import remove_stray_files
from tests.conftest import png_upload


def image_upload(fmt: str, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.parametrize(
    ("upload", "content_type"),
    [
        (lambda: image_upload("JPEG", "现场.jpg"), "image/jpeg"),
        (lambda: image_upload("PNG", "现场.png"), "image/png"),
        (lambda: image_upload("WEBP", "现场.webp"), "image/webp"),
        (lambda: SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n"), "application/pdf"),
    ],
)
def test_photos_and_pdfs_are_stored_with_their_real_type(world, upload, content_type):
    hazard = world.listed()
    attachment = services.attachment_add(
        hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=upload()
    )
    assert attachment.content_type == content_type
    assert attachment.file.size == attachment.size > 0


def test_a_renamed_text_file_is_refused(world):
    hazard = world.listed()
    fake = SimpleUploadedFile("photo.jpg", b"this is not a picture at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=fake)
    assert "photo.jpg" in error.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


def test_a_truncated_image_with_a_real_header_is_refused(world):
    hazard = world.listed()
    broken = SimpleUploadedFile("broken.png", png_upload().read()[:20])
    with pytest.raises(ValidationError) as error:
        services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=broken)
    assert "损坏" in error.value.message_dict["file"][0]


def test_an_oversized_file_is_refused(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    hazard = world.listed()
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 2048)
    with pytest.raises(ValidationError) as error:
        services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=big)
    assert error.value.error_dict["file"][0].code == "too_large"
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused(world):
    hazard = world.listed()
    with pytest.raises(ValidationError):
        services.attachment_add(
            hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=SimpleUploadedFile("e.png", b"")
        )


def test_a_bad_photo_on_submit_writes_nothing(world):
    hazard = world.rectifying()
    fake = SimpleUploadedFile("after.jpg", b"GIF89a not allowed")
    with pytest.raises(ValidationError):
        services.hazard_submit(
            hazard=hazard, by=world.unit_demo, measures="已整改", completed_on=timezone.localdate(), photos=[fake]
        )
    hazard.refresh_from_db()
    assert hazard.status == "rectifying"
    assert not hazard.attachments.exists()


def test_read_only_roles_cannot_upload(world):
    hazard = world.listed()
    with pytest.raises(NotAllowed):
        services.attachment_add(hazard=hazard, by=world.api_client, phase=AttachmentPhase.FOUND, upload=png_upload())


def test_outsiders_cannot_upload(world):
    hazard = world.listed()
    with pytest.raises(NotFound):
        services.attachment_add(hazard=hazard, by=world.wb_officer, phase=AttachmentPhase.FOUND, upload=png_upload())


def test_closed_hazards_take_no_more_evidence(world):
    hazard = world.closed()
    with pytest.raises(ValidationError):
        services.attachment_add(
            hazard=hazard, by=world.hq_supervisor, phase=AttachmentPhase.VERIFICATION, upload=png_upload()
        )


def age(path, days: float) -> None:
    """Make a stored file look ``days`` old."""
    stamp = time.time() - days * 86400
    os.utime(default_storage.path(path), (stamp, stamp))


def test_the_daily_clean_up_removes_only_old_files_that_nothing_records(world):
    hazard = world.listed()
    kept = services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=png_upload())
    folder = kept.file.name.rsplit("/", 1)[0]
    stray = default_storage.save(f"{folder}/rolled-back.png", ContentFile(png_upload().read()))
    fresh = default_storage.save(f"{folder}/still-in-a-transaction.png", ContentFile(b"x"))
    staged_old = default_storage.save("staging/7/" + "a" * 32 + "/old.png", ContentFile(b"x"))
    staged_new = default_storage.save("staging/7/" + "b" * 32 + "/new.png", ContentFile(b"x"))
    for path in (kept.file.name, stray, staged_old):
        age(path, 2)

    assert remove_stray_files() == 2

    assert not default_storage.exists(stray) and not default_storage.exists(staged_old)
    assert all(default_storage.exists(path) for path in (kept.file.name, fresh, staged_new))
    assert remove_stray_files() == 0
