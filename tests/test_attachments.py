"""Evidence uploads are checked by content and size, never by name, and refused in Chinese."""

from __future__ import annotations

import io
import os
import re
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
from tests.conftest import png_claiming, png_upload


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


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("evil.html", lambda: png_upload().read(), "png"),
        ("shell.php", lambda: image_upload("JPEG", "x").read(), "jpg"),
        ("报告", lambda: b"%PDF-1.4\n%\xe2\xe3\n", "pdf"),
        ("a." + "x" * 150, lambda: image_upload("WEBP", "x").read(), "webp"),
    ],
)
def test_a_file_is_stored_under_a_random_name_with_the_extension_of_its_content(world, name, content, extension):
    hazard = world.listed()
    attachment = services.attachment_add(
        hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=SimpleUploadedFile(name, content())
    )
    folder = f"hazards/{timezone.localdate():%Y/%m}/{hazard.pk}"
    assert re.fullmatch(rf"{folder}/[0-9a-f]{{32}}\.{extension}", attachment.file.name), attachment.file.name
    assert attachment.original_name == name
    assert default_storage.exists(attachment.file.name)


def test_two_files_of_the_same_name_are_both_kept(world):
    hazard = world.listed()
    first, second = (
        services.attachment_add(
            hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=png_upload("现场.png", color)
        )
        for color in ("red", "blue")
    )
    assert first.file.name != second.file.name
    assert first.file.read() != second.file.read()


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 10_000),  # 100 megapixels in a few dozen bytes: decoded by every viewer's browser
        (20_000, 20_000),  # past Pillow's own limit: its DecompressionBombError
        (40_001, 1_000),  # just over 40 megapixels, in a strip
    ],
)
def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(world, width, height):
    hazard = world.listed()
    bomb = SimpleUploadedFile("bomb.png", png_claiming(width, height))
    assert bomb.size < 400
    with pytest.raises(ValidationError) as error:
        services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=bomb)
    (problem,) = error.value.error_dict["file"]
    assert problem.code == "too_many_pixels"
    assert problem.messages == ["图片“bomb.png”的像素过多，上限为 4000 万像素，请缩小后再上传。"]
    assert not Attachment.objects.exists()


def test_an_image_of_exactly_the_pixel_limit_is_accepted(world, settings):
    settings.ATTACHMENT_MAX_PIXELS = 64
    hazard = world.listed()
    for width, height in ((8, 8), (64, 1)):
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), "green").save(buffer, format="PNG")
        upload = SimpleUploadedFile("ok.png", buffer.getvalue())
        services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=upload)
    over = SimpleUploadedFile("over.png", png_claiming(65, 1))
    with pytest.raises(ValidationError) as error:
        services.attachment_add(hazard=hazard, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=over)
    assert error.value.error_dict["file"][0].code == "too_many_pixels"
    assert hazard.attachments.count() == 2


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
