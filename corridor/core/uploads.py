"""Uploads stay in memory: plaintext must never touch the disk before it is cleaned and sealed.

Django spools uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; for a document
or a request for help that file would be a plaintext copy on disk. The handler here is the
only one installed (settings.FILE_UPLOAD_HANDLERS), and views may install it with a smaller limit.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bytes() -> int:
    """The most one stored file may weigh (settings.DOCUMENT_MAX_BYTES)."""
    return int(getattr(settings, "DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


class OversizedUpload(UploadedFile):  # type: ignore[type-arg]  # generic only in django-stubs; the runtime class cannot be subscripted
    """Stands in for a file over the limit: its size is known, its bytes were never kept."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keep each uploaded file in memory up to the document limit; count the rest and discard it.

    Django's default handlers put any file over FILE_UPLOAD_MAX_MEMORY_SIZE in a temporary
    file: plaintext on disk before we can strip and encrypt it. This handler never writes
    to disk, and a file over the limit arrives as an OversizedUpload so the form can say
    "The file is 52 MB; the limit is 20 MB" instead of failing the request.

    `limit` defaults to DOCUMENT_MAX_BYTES, and bounds the whole request as well as each
    file: a request carrying many files keeps no more than one limit's worth in memory
    (`kept`). With `drop_oversized` (the intake), a file over the limit is dropped
    altogether and `too_large` tells the view.
    """

    def __init__(self, request: Any = None, *, limit: int | None = None, drop_oversized: bool = False) -> None:
        super().__init__(request)
        self.limit = limit
        self.drop_oversized = drop_oversized
        self.too_large = False
        self.kept = 0

    def _limit(self) -> int:
        return max_bytes() if self.limit is None else self.limit

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()
        self._seen = 0
        self._over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._seen += len(raw_data)
        if not self._over and self._seen <= self._limit() and self.kept + len(raw_data) <= self._limit():
            self._buffer.write(raw_data)
            self.kept += len(raw_data)
            return None
        if not self._over:
            self._over = True
            self.too_large = True
            self.kept -= self._buffer.tell()
            self._buffer = io.BytesIO()  # over the limit: let go of what was kept
        if self.drop_oversized:
            raise SkipFile
        return None  # consumed here; no later handler sees the bytes

    def file_complete(self, file_size: int) -> UploadedFile[bytes]:
        if self._over:
            return OversizedUpload(self.file_name or "", self._seen, self.content_type)
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self._seen,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def install(request: HttpRequest, limit: int | None = None, *, drop_oversized: bool = False) -> BoundedMemoryUploadHandler:
    """Make `request` keep its uploads in memory only, up to `limit` (default: the document limit).

    Call it before anything reads request.POST or request.FILES; the view's CSRF check must
    then run after it (Django's documented pattern: csrf_exempt outside, csrf_protect inside).
    """
    handler = BoundedMemoryUploadHandler(request, limit=limit, drop_oversized=drop_oversized)
    request.upload_handlers = [handler]
    return handler
