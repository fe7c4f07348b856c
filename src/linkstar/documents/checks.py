"""What an uploaded file must be before the vault keeps it.

The type is decided by the content (magic bytes), never by the name or the browser's claimed
content type; the name's extension must then agree with it. Names keep their Chinese and lose
anything that could act as a path or hide an extension. Nothing here writes anything.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from linkstar.core.exceptions import FieldError, InvalidInput


@dataclass(frozen=True)
class Kind:
    code: str
    content_type: str
    extensions: tuple[str, ...]  # the first one is used for the stored name
    label: str


KINDS = {
    k.code: k
    for k in (
        Kind("pdf", "application/pdf", ("pdf",), "PDF"),
        Kind("png", "image/png", ("png",), "PNG"),
        Kind("jpg", "image/jpeg", ("jpg", "jpeg"), "JPEG"),
        Kind("tiff", "image/tiff", ("tif", "tiff"), "TIFF"),
        Kind("webp", "image/webp", ("webp",), "WebP"),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
            "Word (.docx)",
        ),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
            "Excel (.xlsx)",
        ),
    )
}
ALLOWED_EXTENSIONS = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
# Extensions that, inside a name ("licence.exe.pdf", "scan.pdf.js"), disguise what a file is.
DISGUISING_EXTENSIONS = set(ALLOWED_EXTENSIONS) | {
    "exe", "com", "bat", "cmd", "scr", "msi", "dll", "ps1", "vbs", "vbe", "js", "jse", "jar",
    "sh", "bash", "py", "php", "pl", "rb", "cgi", "asp", "aspx", "jsp", "html", "htm", "svg",
    "xhtml", "hta", "lnk", "reg", "zip", "rar", "7z", "gz", "tar", "doc", "xls", "docm", "xlsm",
    "ppt", "pptx", "txt", "gif", "bmp", "heic", "apk", "app", "dmg", "iso",
}  # fmt: skip
# Characters Windows refuses in names: replaced, so the downloaded file saves everywhere.
UNSAFE_NAME_CHARS = set('<>:"|?*')
MAX_NAME_LENGTH = 180
HEAD_BYTES = 8192
PDF_TAIL_BYTES = 4096


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the sanitised original name
    kind: Kind
    size: int
    sha256: str


def accepted_types_text() -> str:
    return ", ".join(k.label for k in KINDS.values())


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(FieldError("file", message), code="invalid_file")


def clean_file_name(raw: str) -> str:
    """The uploader's name made safe to keep and to suggest on download: no folder parts, no
    control or invisible formatting characters (a right-to-left override can disguise
    "fdp.exe" as "exe.pdf"), no characters Windows refuses; Chinese and other letters kept."""
    name = unicodedata.normalize("NFC", raw or "")
    if "/" in name or "\\" in name:
        raise _refuse(_("The file name must not contain folder parts (“/” or “\\”)."))
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = "".join("_" if ch in UNSAFE_NAME_CHARS else ch for ch in name)
    name = " ".join(name.split()).strip(" .")
    if not name or name in {".", ".."}:
        raise _refuse(_("The file needs a name."))
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def name_extension(name: str) -> str:
    """The name's one extension, lower case; a second, disguising one is refused."""
    parts = name.split(".")
    if len(parts) < 2 or not parts[0].strip():
        raise _refuse(
            _("The file name needs a name and an extension that matches its content, e.g. .pdf.")
        )
    ext = parts[-1].lower()
    inner = [p.lower() for p in parts[1:-1] if p.lower() in DISGUISING_EXTENSIONS]
    if inner:
        raise _refuse(
            _(
                "The file name has two extensions (.%(inner)s.%(ext)s); rename it so that it "
                "ends in a single extension that matches its content."
            )
            % {"inner": inner[-1], "ext": ext}
        )
    if ext not in ALLOWED_EXTENSIONS:
        raise _refuse(
            _("Files ending in .%(ext)s are not accepted. Accepted types: %(types)s.")
            % {"ext": ext, "types": accepted_types_text()}
        )
    return ext


def _office_kind(file: File) -> Kind:
    """A docx or xlsx is a ZIP package holding [Content_Types].xml and its word/ or xl/ part;
    only the directory is read (nothing is unpacked), so a ZIP bomb costs nothing."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse(
            _("The file is a damaged ZIP archive, not a Word or Excel document.")
        ) from None
    finally:
        file.seek(0)
    if "[Content_Types].xml" in names:
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise _refuse(_("Documents with macros are not accepted; save it as .docx or .xlsx."))
        if any(n.startswith("word/") for n in names):
            return KINDS["docx"]
        if any(n.startswith("xl/") for n in names):
            return KINDS["xlsx"]
    raise _refuse(_("The file is a ZIP archive but not a Word (.docx) or Excel (.xlsx) document."))


def sniff(head: bytes, file: File) -> Kind | None:
    """The accepted kind the content starts like, or None."""
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpg"]
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return KINDS["tiff"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return KINDS["webp"]
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(file)
    return None


def _pdf_is_complete(file: File, size: int) -> bool:
    file.seek(max(0, size - PDF_TAIL_BYTES))
    tail = file.read(PDF_TAIL_BYTES)
    file.seek(0)
    return b"%%EOF" in tail


def _measure(file: File, max_bytes: int) -> tuple[int, str]:
    """Size and SHA-256 read in chunks; stops as soon as the limit is passed."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
    file.seek(0)
    return size, digest.hexdigest()


def _too_large(max_bytes: int) -> InvalidInput:
    return _refuse(
        _("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(max_bytes)}
    )


def inspect_upload(file, *, max_bytes: int) -> CheckedFile:
    """Every check an upload must pass, in the order that gives the clearest error."""
    if file is None:
        raise _refuse(_("Choose a file to upload."))
    if not isinstance(file, File):
        file = File(file, name=getattr(file, "name", ""))
    name = clean_file_name(getattr(file, "name", "") or "")
    ext = name_extension(name)
    declared = getattr(file, "size", None)
    if declared is not None and declared > max_bytes:
        raise _too_large(max_bytes)
    size, sha256 = _measure(file, max_bytes)
    if size == 0:
        raise _refuse(_("The file is empty (0 bytes)."))
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    kind = sniff(head, file)
    if kind is None:
        raise _refuse(
            _(
                "The file's content is not one of the accepted types (%(types)s), whatever its "
                "name says."
            )
            % {"types": accepted_types_text()}
        )
    if ext not in kind.extensions:
        raise _refuse(
            _(
                "The file name ends in .%(ext)s but its content is %(kind)s; upload the right "
                "file or give it the matching extension."
            )
            % {"ext": ext, "kind": kind.label}
        )
    if kind.code == "pdf" and not _pdf_is_complete(file, size):
        raise _refuse(_("The PDF is incomplete (it has no end-of-file marker); upload it again."))
    return CheckedFile(name=name, kind=kind, size=size, sha256=sha256)
