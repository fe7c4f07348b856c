"""Every bad upload is refused with a clear error naming the file, and nothing is stored: no row,
no file in the storage folder, no audit event. Every accepted type gets in."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput
from linkstar.documents.checks import clean_file_name
from linkstar.documents.models import Document
from linkstar.documents.services import document_storage, upload_document
from tests.support.files import (
    GOOD,
    docx_bytes,
    exe_bytes,
    licence,
    pdf_bytes,
    plain_zip_bytes,
    png_bytes,
    stored_files,
    upload,
)


def _upload(actor, entity, file, **kwargs):
    return upload_document(
        actor=actor, entity=entity, document_type="business_license", file=file, **kwargs
    )


BAD = {
    "empty": (lambda: upload("licence.png", b""), "empty"),
    "zero_byte_pdf": (lambda: upload("营业执照.pdf", b"", "application/pdf"), "empty"),
    "exe_renamed_pdf": (lambda: upload("licence.pdf", exe_bytes()), "not one of the accepted"),
    "double_extension_exe_last": (
        lambda: upload("licence.pdf.exe", exe_bytes()),
        "two extensions",
    ),
    "double_extension_pdf_last": (
        lambda: upload("licence.exe.pdf", pdf_bytes()),
        "two extensions",
    ),
    "dot_dot_slash": (lambda: ContentFile(pdf_bytes(), name="../licence.pdf"), "folder parts"),
    "dot_dot_backslash": (
        lambda: ContentFile(pdf_bytes(), name="..\\..\\licence.pdf"),
        "folder parts",
    ),
    "absolute_path": (lambda: ContentFile(pdf_bytes(), name="/etc/passwd.pdf"), "folder parts"),
    "docx_zip_without_word": (
        lambda: upload("contract.docx", docx_bytes(with_word=False)),
        "not a Word",
    ),
    "plain_zip_named_xlsx": (lambda: upload("sheet.xlsx", plain_zip_bytes()), "not a Word"),
    "docx_with_macros": (lambda: upload("contract.docx", docx_bytes(macro=True)), "macros"),
    "png_named_pdf": (lambda: upload("licence.pdf", png_bytes()), "content is PNG"),
    "pdf_named_docx": (lambda: upload("licence.docx", pdf_bytes()), "content is PDF"),
    "truncated_pdf": (lambda: upload("licence.pdf", pdf_bytes()[:200]), "incomplete"),
    "disallowed_extension": (lambda: upload("licence.gif", b"GIF89a" + b"\x00" * 20), ".gif"),
    "no_extension": (lambda: upload("licence", pdf_bytes()), "extension"),
    "only_an_extension": (lambda: upload(".pdf", pdf_bytes()), "extension"),
    "no_name": (lambda: ContentFile(pdf_bytes(), name=" .. "), "needs a name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_upload_is_refused_with_a_clear_error_and_nothing_is_stored(
    case, as_alice, entity, vault_dir
):
    make, expected = BAD[case]
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _upload(as_alice, entity, make())
    assert [e.field for e in refused.value.errors] == ["file"]
    assert expected in refused.value.detail, refused.value.detail
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []
    assert AuditEvent.objects.count() == events


def test_oversize_file_is_refused_and_nothing_is_stored(as_alice, entity, vault_dir, settings):
    settings.LINKSTAR_UPLOAD_MAX_BYTES = 1000
    content = pdf_bytes("x" * 2000)
    assert len(content) > 1000
    with pytest.raises(InvalidInput) as refused:
        _upload(as_alice, entity, upload("营业执照.pdf", content))
    assert refused.value.errors[0].field == "file"
    assert "larger than the limit" in refused.value.detail
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []


def test_a_file_that_lies_about_its_size_is_measured(as_alice, entity, vault_dir, settings):
    settings.LINKSTAR_UPLOAD_MAX_BYTES = 1000
    file = upload("营业执照.pdf", pdf_bytes("x" * 2000))
    file.size = 10  # the claimed size is not trusted: the bytes are counted
    with pytest.raises(InvalidInput, match="larger than the limit"):
        _upload(as_alice, entity, file)
    assert stored_files(vault_dir) == []


def test_the_default_limit_is_20_megabytes(settings):
    assert settings.LINKSTAR_UPLOAD_MAX_BYTES == 20 * 1024 * 1024


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_accepted_type_is_stored_under_a_generated_name(kind, as_alice, entity, vault_dir):
    name, make, content_type = GOOD[kind]
    content = make()
    document = _upload(as_alice, entity, upload(name, content))
    assert document.original_name == name
    assert document.content_type == content_type
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    # The stored name holds no user input: a uuid and the extension of the detected type.
    stored = document.storage_name
    assert stored.startswith(f"documents/{as_alice.organization.pk}/")
    assert name.rsplit(".", 1)[0] not in stored
    files = stored_files(vault_dir)
    assert [p.relative_to(vault_dir).as_posix() for p in files] == [stored]
    assert files[0].read_bytes() == content
    with document_storage().open(stored, "rb") as handle:
        assert handle.read() == content


def test_file_names_are_sanitised_and_chinese_is_kept(as_alice, entity):
    document = _upload(
        as_alice, entity, ContentFile(pdf_bytes(), name="  营业执照\x00\x07\n(2026)?.pdf ")
    )
    assert document.original_name == "营业执照(2026)_.pdf"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("营业执照.pdf", "营业执照.pdf"),
        ("licence\u202efdp.exe", "licencefdp.exe"),  # a right-to-left override disguising .exe
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("  many   spaces .pdf", "many spaces .pdf"),
        ("trailing dots.pdf...", "trailing dots.pdf"),
        ("report.v2.final.pdf", "report.v2.final.pdf"),
    ],
)
def test_clean_file_name(raw, clean):
    assert clean_file_name(raw) == clean


def test_long_names_keep_their_extension():
    name = clean_file_name("营" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name) <= 180


def test_dotted_names_that_are_not_extensions_are_fine(as_alice, entity):
    document = _upload(as_alice, entity, licence("营业执照 2026.05.pdf"))
    assert document.original_name == "营业执照 2026.05.pdf"
