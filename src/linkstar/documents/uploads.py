"""The first upload handler of every request: it counts each file's bytes as they arrive and,
past ``LINKSTAR_UPLOAD_MAX_BYTES``, stops passing them on — so an oversize file is never written
in full, neither to memory nor to a temporary file. The file then arrives as a ``TooLarge``
placeholder whose size is over the limit, and the vault's checks refuse it with their own words
("larger than the limit of 20 MB"), as for any other upload."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class TooLarge(UploadedFile):
    """What is left of a file refused for its size: its name and a size over the limit."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(file=None, name=name, content_type="application/octet-stream", size=size)

    def read(self, *args, **kwargs) -> bytes:
        return b""

    def seek(self, *args, **kwargs) -> int:
        return 0

    def close(self) -> None:
        return None


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > settings.LINKSTAR_UPLOAD_MAX_BYTES:
            self.over = True
        # past the limit the rest of the file is read and dropped, never stored
        return None if self.over else raw_data

    def file_complete(self, file_size: int):
        if self.over:
            return TooLarge(self.file_name, self.received)
        return None  # the usual handlers have the file
