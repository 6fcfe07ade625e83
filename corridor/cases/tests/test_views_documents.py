"""Document pages: upload through the form, what is stored, the served file's headers,
the chain of custody, and who may reach any of it (the access matrix).
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases import domain
from corridor.cases.models import Case, Document, DocumentKind
from corridor.cases.tests.test_files import ARTIST, GPS, jpeg_with_gps, pdf_with_metadata
from corridor.cases.views.documents import FILE_CSP
from corridor.keys import files as encrypted_files
from corridor.keys.models import EncryptedFile

pytestmark = pytest.mark.django_db
CASE_ROLES = {Role.CASEWORKER, Role.HOTLINE, Role.RELOCATION, Role.DOCUMENTATION}


def _case(world: World, team: str = "a") -> Case:
    owner = world.users[Role.CASEWORKER] if team == "a" else world.outsider
    person = domain.create_person(
        owner, names=[{"name": f"Ислам Планted-{team}", "kind": "legal"}], birth_date=datetime.date(1990, 1, 1)
    )
    return domain.open_case(owner, team=world.team_a if team == "a" else world.team_b, principal=person)


def _upload(case: Case, user, data: bytes, name: str, kind: str = DocumentKind.PHOTO) -> Document:
    return domain.upload_document(user, case, SimpleUploadedFile(name, data), kind, description="Planted description")


@pytest.fixture
def world() -> World:
    world = make_world()
    world.extra["case_a"] = _case(world, "a")
    world.extra["case_b"] = _case(world, "b")
    world.extra["doc_a"] = _upload(world.extra["case_a"], world.users[Role.CASEWORKER], jpeg_with_gps(), "a.jpg")
    world.extra["doc_b"] = _upload(world.extra["case_b"], world.outsider, jpeg_with_gps(), "b.jpg")
    return world


def _media_files() -> set[Path]:
    root = Path(settings.DATA_DIR) / "media"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _both(name: str, key: str, **options: Any) -> Route:
    """The page `name` of team A's `key` ("case", "doc"), tried on team B's too (404)."""
    return Route(
        name,
        lambda w: reverse(name, args=[w.extra[f"{key}_a"].pk]),
        CASE_ROLES,
        other_team_url=lambda w: reverse(name, args=[w.extra[f"{key}_b"].pk]),
        **options,
    )


ROUTES = [
    _both("cases:documents", "case"),
    _both("cases:document", "doc"),
    _both("cases:document_file", "doc"),
    # No file: a form error (400) for those allowed, 404 for the rest.
    _both("cases:documents", "case", method="post", data={"kind": "other"}, ok_status=(400,)),
]


def test_access_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > 40
    # Nothing was uploaded by the matrix: one document per team, as the fixture made.
    assert Document.objects.count() == 2


def test_team_b_document_is_404_and_its_name_does_not_leak(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    doc_b = world.extra["doc_b"]
    for url in (reverse("cases:document", args=[doc_b.pk]), reverse("cases:document_file", args=[doc_b.pk])):
        response = client.get(url)
        assert response.status_code == 404
        assert b"b.jpg" not in response.content
    listing = client.get(reverse("cases:documents", args=[world.extra["case_a"].pk]))
    assert listing.status_code == 200
    assert b"a.jpg" in listing.content and b"b.jpg" not in listing.content


def test_upload_of_a_gps_photo_stores_no_exif_and_serves_it_with_strict_headers(world: World) -> None:
    user = world.users[Role.CASEWORKER]
    case = world.extra["case_a"]
    person = case.members.get().person
    client = sign_in(Client(), user)
    response = client.post(
        reverse("cases:documents", args=[case.pk]),
        {
            "file": SimpleUploadedFile("IMG_2041.jpg", jpeg_with_gps(), content_type="application/octet-stream"),
            "kind": DocumentKind.PHOTO,
            "person": str(person.pk),
            "description": "Bruises, photographed 12 March",
        },
    )
    document = Document.objects.exclude(pk__in=[world.extra["doc_a"].pk, world.extra["doc_b"].pk]).get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:document", args=[document.pk])
    assert (document.person_id, document.kind, document.filename, document.content_type) == (
        person.pk,
        "photo",
        "IMG_2041.jpg",
        "image/jpeg",
    )
    assert document.description == "Bruises, photographed 12 March"

    stored = encrypted_files.open_encrypted(document.file)
    image = Image.open(io.BytesIO(stored))
    assert (image.format, image.size) == ("JPEG", (60, 30))
    assert image.getexif().get_ifd(0x8825) == {}
    assert dict(image.getexif()) == {}
    assert ARTIST.encode() not in stored and b"PlantedCamera" not in stored
    # The GPS latitude degrees as stored by the camera (rational 43/1, either byte order).
    assert (43).to_bytes(4, "big") + (1).to_bytes(4, "big") not in stored
    assert (43).to_bytes(4, "little") + (1).to_bytes(4, "little") not in stored
    assert GPS[2] == (43.0, 19.0, 3.5)

    served = client.get(reverse("cases:document_file", args=[document.pk]))
    assert served.status_code == 200
    assert served.content == stored
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == 'inline; filename="IMG_2041.jpg"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"] == "no-store"
    assert served["Content-Security-Policy"] == FILE_CSP["image"]
    assert served["Content-Length"] == str(len(stored))

    download = client.get(reverse("cases:document_file", args=[document.pk]), {"download": "1"})
    assert download["Content-Disposition"] == 'attachment; filename="IMG_2041.jpg"'

    detail = client.get(reverse("cases:document", args=[document.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    assert f'<img src="{reverse("cases:document_file", args=[document.pk])}"' in page
    assert document.sha256 in page
    document.refresh_from_db()
    assert [entry["action"] for entry in document.custody] == ["uploaded", "viewed", "downloaded"]
    assert {entry["by"] for entry in document.custody} == {user.pk}
    actions = list(AuditEntry.objects.filter(object_id=str(document.pk)).order_by("seq").values_list("action", flat=True))
    assert actions == ["document.upload", "document.viewed", "document.downloaded", "read"]


def test_pdf_upload_loses_its_authors(world: World) -> None:
    client = sign_in(Client(), world.users[Role.DOCUMENTATION])
    case = world.extra["case_a"]
    response = client.post(
        reverse("cases:documents", args=[case.pk]),
        {"file": SimpleUploadedFile("statement.pdf", pdf_with_metadata()), "kind": DocumentKind.TESTIMONY},
    )
    assert response.status_code == 302
    document = case.documents.get(kind=DocumentKind.TESTIMONY)
    served = client.get(reverse("cases:document_file", args=[document.pk]))
    assert (served["Content-Type"], served["Content-Disposition"]) == ("application/pdf", 'inline; filename="statement.pdf"')
    assert served["Content-Security-Policy"] == FILE_CSP["pdf"]
    assert b"Planted" not in served.content
    with pikepdf.open(io.BytesIO(served.content)) as pdf:
        assert (dict(pdf.docinfo), "/Metadata" in pdf.Root) == ({}, False)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 60, "photo.jpg", "This file type is not accepted: a Windows program."),
        (b"%PDF-1.4\n", "photo.jpg", "This file is a PDF, but its name ends in “.jpg”."),
    ],
)
def test_a_refused_file_is_explained_and_nothing_is_stored(world: World, data: bytes, name: str, message: str) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    before = (Document.objects.count(), EncryptedFile.objects.count(), _media_files())
    response = client.post(
        reverse("cases:documents", args=[world.extra["case_a"].pk]),
        {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"), "kind": DocumentKind.PHOTO},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Document.objects.count(), EncryptedFile.objects.count(), _media_files()) == before


def test_a_50_mb_upload_gets_the_size_message_and_stores_nothing(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    before = (Document.objects.count(), EncryptedFile.objects.count(), _media_files())
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024 - 4)
    response = client.post(
        reverse("cases:documents", args=[world.extra["case_a"].pk]),
        {
            "file": SimpleUploadedFile("video.jpg", big, content_type="image/jpeg"),
            "kind": DocumentKind.PHOTO,
            "description": "kept",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file is 50 MB; the limit is 20 MB." in page
    assert "kept</textarea>" in page  # the rest of the form survives the refusal
    assert (Document.objects.count(), EncryptedFile.objects.count(), _media_files()) == before


def test_uploads_never_touch_a_temporary_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Django writes files over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) to a plaintext temporary
    # file by default; the documents view keeps them in memory instead.
    from django.core.files import uploadedfile

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", refuse)
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    text = ("Показания. " * 400_000).encode()  # ~8 MB of text, over Django's in-memory threshold
    response = client.post(
        reverse("cases:documents", args=[world.extra["case_a"].pk]),
        {"file": SimpleUploadedFile("testimony.txt", text), "kind": DocumentKind.TESTIMONY},
    )
    assert response.status_code == 302
    document = world.extra["case_a"].documents.get(kind=DocumentKind.TESTIMONY)
    assert encrypted_files.open_encrypted(document.file) == text


def test_a_person_from_another_case_cannot_be_attached(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    other_person = world.extra["case_b"].members.get().person
    response = client.post(
        reverse("cases:documents", args=[world.extra["case_a"].pk]),
        {"file": SimpleUploadedFile("a.txt", b"words"), "kind": DocumentKind.OTHER, "person": str(other_person.pk)},
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert world.extra["case_a"].documents.count() == 1


def test_upload_post_without_csrf_token_is_refused(world: World) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.users[Role.CASEWORKER])
    response = client.post(
        reverse("cases:documents", args=[world.extra["case_a"].pk]),
        {"file": SimpleUploadedFile("a.txt", b"words"), "kind": DocumentKind.OTHER},
    )
    assert response.status_code == 403
    assert world.extra["case_a"].documents.count() == 1
