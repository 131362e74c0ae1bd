"""Evidence through the API: a live, scoped download link, content-named files, refused pixel bombs
and bodies refused from their Content-Length."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import FakePayload
from django.urls import reverse
from rest_framework.test import APIClient

from hazards.models import Attachment
from tests.api.helpers import API, hazard_url
from tests.conftest import png_claiming, png_upload

PDF = b"%PDF-1.4\n1 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n"


def token_client(username: str = "hq_officer") -> APIClient:
    client = APIClient()
    token = client.post(f"{API}/auth/token/", {"username": username, "password": "demo12345"}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


def session_client(world) -> Client:
    client = Client()
    client.force_login(world.hq_officer)
    return client


def upload(client: APIClient, hazard, file) -> dict:
    response = client.post(hazard_url(hazard, "attachments"), {"phase": "found", "file": file}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_file_link_is_an_absolute_url_that_a_token_client_downloads(world):
    hazard = world.listed()
    client = token_client()
    content = png_upload().read()
    created = upload(client, hazard, SimpleUploadedFile("现场.png", content))
    link = created["file"]
    assert link == f"http://testserver{API}/attachments/{created['id']}/download/"
    assert client.get(hazard_url(hazard, "attachments")).json()[0]["file"] == link
    assert client.get(f"{API}/attachments/{created['id']}/").json() == created

    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert "private" in response["Cache-Control"]


def test_a_pdf_is_always_a_download_never_shown_inline(world):
    hazard = world.listed()
    client = token_client()
    created = upload(client, hazard, SimpleUploadedFile("整改报告.pdf", PDF, content_type="text/html"))
    assert created["content_type"] == "application/pdf"
    for response in (
        client.get(created["file"]),
        session_client(world).get(reverse("hazards:attachment", args=[hazard.pk, created["id"]])),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_download_is_named_for_what_the_file_is(world):
    hazard = world.listed()
    client = token_client()
    for name, expected in (("evil.html", "evil.html.png"), ("现场.PNG", "现场.PNG"), ("照片", "照片.png")):
        created = upload(client, hazard, SimpleUploadedFile(name, png_upload().read()))
        assert created["original_name"] == name
        disposition = client.get(created["file"])["Content-Disposition"]
        assert disposition == f"inline; filename*=utf-8''{quote(expected)}" or disposition.endswith(f'"{expected}"')


def test_a_signed_in_browser_follows_the_same_link(world):
    hazard = world.listed()
    created = upload(token_client(), hazard, png_upload())
    response = session_client(world).get(created["file"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_the_link_is_404_outside_the_jurisdiction_and_401_without_credentials(world):
    hazard = world.listed()
    created = upload(token_client(), hazard, png_upload())
    assert token_client("wb_officer").get(created["file"]).status_code == 404
    assert token_client("unit_demo").get(created["file"]).status_code == 404  # not handed to the unit yet
    anonymous = APIClient().get(created["file"])
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert token_client().get(f"{API}/attachments/999999/download/").json()["code"] == "not_found"


def test_a_file_gone_from_storage_is_a_404_in_the_error_shape(world):
    hazard = world.listed()
    created = upload(token_client(), hazard, png_upload())
    Attachment.objects.get(pk=created["id"]).file.delete(save=False)
    response = token_client().get(created["file"], HTTP_ACCEPT="image/png")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_schema_types_the_link_as_a_uri_and_the_download_by_what_files_can_be(world, api):
    spec = json.loads(api("hq_officer").get(f"{API}/schema/?format=json").content)
    assert spec["components"]["schemas"]["Attachment"]["properties"]["file"]["format"] == "uri"
    download = spec["paths"]["/api/v1/attachments/{id}/download/"]["get"]
    assert sorted(download["responses"]["200"]["content"]) == [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
    ]
    assert "404" in download["responses"]


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (20_000, 20_000)])
def test_a_pixel_bomb_is_a_400_naming_the_file(world, api, width, height):
    hazard = world.listed()
    bomb = SimpleUploadedFile("bomb.png", png_claiming(width, height), content_type="image/png")
    response = api("hq_officer").post(
        hazard_url(hazard, "attachments"), {"phase": "found", "file": bomb}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {"file": ["图片“bomb.png”的像素过多，上限为 4000 万像素，请缩小后再上传。"]}
    assert not hazard.attachments.exists()


def test_a_name_with_a_150_character_extension_is_stored(world, api):
    hazard = world.listed()
    name = "现场." + "x" * 150
    created = upload(api("hq_officer"), hazard, png_upload(name))
    assert created["original_name"] == name
    assert Attachment.objects.get(pk=created["id"]).file.name.endswith(".png")


def test_a_body_over_the_limit_is_a_413_before_it_is_read(world, api, settings):
    hazard = world.listed()
    # The body claims 40 MB but carries 10 bytes: reading past them would fail the test client.
    claimed = str(40 * 1024 * 1024)
    response = api("hq_officer").generic(
        "POST",
        hazard_url(hazard, "attachments"),
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=claimed,
        **{"wsgi.input": FakePayload(b"0123456789")},
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "message": "提交的内容超过 32.0\xa0MB 的上限，请减少或缩小文件后重试。",
        "fields": {},
    }


def test_a_real_body_over_the_limit_is_refused_in_the_api_and_on_the_pages(world, api, settings):
    settings.REQUEST_MAX_BYTES = 1024
    hazard = world.listed()
    big = SimpleUploadedFile("big.png", png_upload().read() + b"\0" * 2048)
    response = api("hq_officer").post(hazard_url(hazard, "attachments"), {"phase": "found", "file": big})
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    page = session_client(world).post(reverse("hazards:new"), {**world.listing_form(), "photos": [big]})
    assert page.status_code == 413
    assert "提交的内容超过 1.0\xa0KB 的上限" in page.content.decode()
    assert not hazard.attachments.exists()
