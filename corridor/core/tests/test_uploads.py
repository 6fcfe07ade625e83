"""The memory-only upload handler: bounded per file and per request, never a file on disk."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.test import RequestFactory

from corridor.core.uploads import BoundedMemoryUploadHandler, OversizedUpload, install, max_bytes


def test_one_request_cannot_keep_more_than_the_limit_in_memory_across_files() -> None:
    handler = BoundedMemoryUploadHandler(limit=10 * 1024)
    kept = []
    for index in range(3):
        handler.new_file("file", f"f{index}.txt", "text/plain", 6 * 1024)
        for start in range(0, 6 * 1024, 1024):
            handler.receive_data_chunk(b"x" * 1024, start)
        kept.append(handler.file_complete(6 * 1024))
    assert [type(f).__name__ for f in kept] == ["InMemoryUploadedFile", "OversizedUpload", "OversizedUpload"]
    assert (handler.too_large, handler.kept) == (True, 6 * 1024)


def test_the_default_limit_is_the_document_limit_and_an_oversized_file_keeps_only_its_size(settings: Any) -> None:
    settings.DOCUMENT_MAX_BYTES = 2048
    assert max_bytes() == 2048
    handler = BoundedMemoryUploadHandler()
    handler.new_file("file", "big.pdf", "application/pdf", 4096)
    for start in range(0, 4096, 1024):
        handler.receive_data_chunk(b"y" * 1024, start)
    big = handler.file_complete(4096)
    assert isinstance(big, OversizedUpload)
    assert (big.size, big.read(), handler.kept) == (4096, b"", 0)


def test_dropping_mode_skips_a_file_over_the_limit_and_keeps_a_small_one() -> None:
    handler = BoundedMemoryUploadHandler(limit=1024, drop_oversized=True)
    handler.new_file("file", "small.txt", "text/plain", 10)
    handler.receive_data_chunk(b"0123456789", 0)
    small = handler.file_complete(10)
    assert isinstance(small, InMemoryUploadedFile)
    assert small.read() == b"0123456789"
    handler.new_file("file", "big.txt", "text/plain", 2048)
    handler.receive_data_chunk(b"z" * 1000, 0)
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"z" * 1000, 1000)
    assert (handler.too_large, handler.kept) == (True, 10)


def test_install_makes_the_bounded_handler_the_requests_only_one() -> None:
    request = RequestFactory().post("/")
    handler = install(request, 4096, drop_oversized=True)
    assert request.upload_handlers == [handler]
    assert (handler.limit, handler.drop_oversized) == (4096, True)
