"""The intake's uploads stay in memory: plaintext must never touch the disk.

Django spools uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; for the
intake that file would be a plaintext copy of what someone sent us. The documents'
memory-only handler holds the bytes up to the intake's limit and drops the file past it.
"""

from __future__ import annotations

from django.http import HttpRequest

from corridor.core.uploads import BoundedMemoryUploadHandler


def install(request: HttpRequest, limit: int) -> BoundedMemoryUploadHandler:
    """Replace the request's upload handlers; call before touching request.POST or FILES."""
    handler = BoundedMemoryUploadHandler(request, limit=limit, drop_oversized=True)
    request.upload_handlers = [handler]
    return handler
