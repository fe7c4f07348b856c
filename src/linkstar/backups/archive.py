"""The backup archive: one ``linkstar-backup-<UTC timestamp>.tar.gz`` holding the database
snapshot, every stored file and the keys, with ``manifest.json`` as its last member.

The manifest lists the SHA-256 and size of every other member. It comes last because the hashes
are computed while the members are streamed in (files are read once, from local disk or S3).
Reading checks everything in one streamed pass before anything is restored: every listed member
present with its checksum and size, nothing unlisted, no unsafe name, the gzip stream whole.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import posixpath
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from linkstar.backups.errors import BackupError

MANIFEST = "manifest.json"
FORMAT = "linkstar-backup"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024
NAME_PATTERN = re.compile(r"^linkstar-backup-(\d{8}T\d{6})Z\.tar\.gz$")
STAMP = "%Y%m%dT%H%M%S"


def archive_name(moment: dt.datetime) -> str:
    return f"linkstar-backup-{moment.astimezone(dt.UTC).strftime(STAMP)}Z.tar.gz"


def archive_time(path: Path) -> dt.datetime | None:
    """The UTC time in an archive's name, or None for a file that is not a backup archive."""
    match = NAME_PATTERN.match(path.name)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1), STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class _HashingReader:
    """A read-only file wrapper that hashes and counts what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Writes members one by one, recording their checksums for the manifest."""

    def __init__(self, path: Path, *, mtime: float) -> None:
        self.path = path
        self.mtime = mtime
        self.entries: list[dict[str, Any]] = []
        self._tar = tarfile.open(path, "w:gz", compresslevel=6)  # noqa: SIM115 - closed in finish

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        info.mtime = self.mtime
        info.type = tarfile.REGTYPE
        return info

    def add_stream(self, name: str, stream: IO[bytes], size: int, *, kind: str) -> dict:
        _check_name(name)
        reader = _HashingReader(stream)
        self._tar.addfile(self._info(name, size), reader)
        entry = {"path": name, "kind": kind, "size": size, "sha256": reader.sha256.hexdigest()}
        self.entries.append(entry)
        return entry

    def add_path(self, name: str, path: Path, *, kind: str) -> dict:
        with open(path, "rb") as stream:
            return self.add_stream(name, stream, path.stat().st_size, kind=kind)

    def finish(self, manifest: dict) -> dict:
        manifest = {**manifest, "files": self.entries}
        blob = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
        self._tar.addfile(self._info(MANIFEST, len(blob)), io.BytesIO(blob))
        self._tar.close()
        return manifest

    def abort(self) -> None:
        with suppress(Exception):
            self._tar.close()


def _check_name(name: str) -> None:
    if not _safe_name(name):
        raise BackupError(f"refusing to store an unsafe name in the archive: {name!r}")


def _safe_name(name: str) -> bool:
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and posixpath.normpath(name) == name
        and ".." not in name.split("/")
    )


@contextmanager
def _reading(path: Path):
    """The archive's members, streamed; any read error becomes a clear refusal."""
    try:
        with tarfile.open(path, "r|gz") as tar:
            yield tar
    except BackupError:
        raise
    except FileNotFoundError as exc:
        raise BackupError(f"no archive at {path}") from exc
    except EOFError as exc:
        raise BackupError(
            f"the archive {path.name} is truncated: it ends in the middle of its data ({exc})"
        ) from exc
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(
            f"the archive {path.name} is damaged: its compressed data is corrupt ({exc})"
        ) from exc
    except tarfile.ReadError as exc:
        detail = str(exc)
        if "unexpected end" in detail:
            raise BackupError(
                f"the archive {path.name} is truncated: it ends in the middle of a member "
                f"({detail})"
            ) from exc
        raise BackupError(
            f"the archive {path.name} is damaged or is not a LinkStar backup (.tar.gz): {detail}"
        ) from exc
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"the archive {path.name} is damaged: {exc}") from exc


def _parse_manifest(blob: bytes) -> dict:
    try:
        manifest = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"the archive's manifest.json is damaged: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("the archive's manifest.json is not a LinkStar backup manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"the archive has format version {version!r}; this LinkStar reads up to "
            f"{FORMAT_VERSION}: restore it with the LinkStar version that made it "
            f"({manifest.get('linkstar_version', '?')}) or a newer one"
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(f, dict) and {"path", "sha256", "size"} <= set(f) for f in files
    ):
        raise BackupError("the archive's manifest.json has no valid list of files")
    return manifest


def verify_archive(path: Path) -> dict:
    """Read the whole archive once; return its manifest when every member matches it, else
    raise :class:`BackupError` naming every problem. Nothing is written anywhere."""
    seen: dict[str, tuple[str, int]] = {}
    problems: list[str] = []
    manifest_blob: bytes | None = None
    with _reading(path) as tar:
        for member in tar:
            name = member.name
            if not _safe_name(name):
                problems.append(f"{name!r}: unsafe member name")
                continue
            if not member.isreg():
                problems.append(f"{name}: not a regular file (a link, directory or device)")
                continue
            stream = tar.extractfile(member)
            if name == MANIFEST:
                manifest_blob = stream.read()
                continue
            if name in seen:
                problems.append(f"{name}: present twice")
            digest = hashlib.sha256()
            size = 0
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            if size != member.size:
                raise BackupError(f"the archive {path.name} is truncated: {name} is incomplete")
            seen[name] = (digest.hexdigest(), size)
    if manifest_blob is None:
        raise BackupError(
            f"the archive {path.name} has no manifest.json: it is truncated or is not a "
            "LinkStar backup"
        )
    manifest = _parse_manifest(manifest_blob)
    listed = set()
    for entry in manifest["files"]:
        name = entry["path"]
        listed.add(name)
        if name not in seen:
            problems.append(f"{name}: listed in the manifest but missing from the archive")
            continue
        sha, size = seen[name]
        if size != entry["size"]:
            problems.append(f"{name}: {size} bytes, the manifest says {entry['size']}")
        elif sha != entry["sha256"]:
            problems.append(
                f"{name}: checksum mismatch (SHA-256 {sha[:16]}…, the manifest says "
                f"{str(entry['sha256'])[:16]}…)"
            )
    problems.extend(
        f"{name}: in the archive but not in the manifest" for name in sorted(set(seen) - listed)
    )
    if problems:
        raise BackupError(
            f"the archive {path.name} is damaged; nothing was restored:", problems=problems
        )
    return manifest


def read_members(
    path: Path, manifest: dict, handle: Callable[[dict, IO[bytes]], None]
) -> Iterator[dict]:
    """Stream the members again for restoring: ``handle(entry, stream)`` consumes each one; its
    checksum is checked once more as it passes (the archive could change between the passes)."""
    entries = {entry["path"]: entry for entry in manifest["files"]}
    with _reading(path) as tar:
        for member in tar:
            entry = entries.get(member.name)
            if entry is None:
                continue
            reader = _HashingReader(tar.extractfile(member))
            try:
                handle(entry, reader)
            except gzip.BadGzipFile:
                raise
            except OSError as exc:  # writing the target, not reading the archive
                raise BackupError(f"could not restore {member.name}: {exc}") from exc
            while reader.read(CHUNK):
                pass
            if reader.sha256.hexdigest() != entry["sha256"]:
                raise BackupError(f"{member.name} changed while it was being restored")
            yield entry
