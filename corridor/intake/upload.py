"""An upload handler that keeps the file in memory: plaintext must never touch the disk.

Django spools uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; for the
intake that file would be a plaintext copy of what someone sent us. This handler holds
the bytes in memory up to the intake's limit and drops the file past it.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class MemoryOnlyUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self._buffer = io.BytesIO()
        self._size = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()
        self._size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._size += len(raw_data)
        if self._size > self.limit:
            self.too_large = True
            self._buffer = io.BytesIO()
            raise SkipFile
        self._buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def install(request: HttpRequest, limit: int) -> MemoryOnlyUploadHandler:
    """Replace the request's upload handlers; call before touching request.POST or FILES."""
    handler = MemoryOnlyUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    return handler
