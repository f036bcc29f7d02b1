"""The bundle file itself (protocol/bundle_format.py): a ZIP of the signed document and
the files it lists. The signature covers the list, each member is hashed as it is
streamed, and files of the version before files (gzip JSON) still read."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from server_plugin.protocol import bundle_format
from server_plugin.protocol.bundle_format import BundleError, CarriedFile
from tests.support.bundle_files import document_of, members_of, old_format, rewritten

KEY = bundle_format.new_signing_key()
PUBLIC = bundle_format.public_key_of(KEY)
DEVICE = {"id": 7, "name": "office-pc", "user": "editor1"}


def carried(content: bytes, content_type: str = "image/jpeg") -> CarriedFile:
    return CarriedFile(
        hashlib.sha256(content).hexdigest(), len(content), lambda: io.BytesIO(content),
        content_type,
    )  # fmt: skip


PHOTO, NOTES = b"\xff\xd8 a photo " * 5000, b"field notes, plain text\n" * 2000


def bundle_with(*contents: CarriedFile, payload=None) -> bytes:
    return bundle_format.make(
        bundle_format.CHANGES, signing_key=KEY, server="site", device=DEVICE,
        payload=payload or {"changes": []}, files=contents,
    )  # fmt: skip


def opened(data: bytes) -> bundle_format.Bundle:
    bundle = bundle_format.read(data)
    bundle.verify(PUBLIC)
    bundle.check_files()
    return bundle


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_files_travel_listed_in_the_signed_header_and_come_out_byte_for_byte():
    data = bundle_with(carried(PHOTO), carried(NOTES, "text/plain"), carried(PHOTO))

    with opened(data) as bundle:
        assert bundle.files == {sha(PHOTO): len(PHOTO), sha(NOTES): len(NOTES)}
        assert bundle.open_file(sha(PHOTO)).read() == PHOTO
        assert bundle.open_file(sha(NOTES)).read() == NOTES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert kinds == {
        "bundle.json": zipfile.ZIP_DEFLATED,
        f"files/{sha(PHOTO)}": zipfile.ZIP_STORED,  # compressed already
        f"files/{sha(NOTES)}": zipfile.ZIP_DEFLATED,
    }


def test_a_member_replaced_by_other_bytes_of_the_same_size_is_refused():
    data = bundle_with(carried(PHOTO))
    other = PHOTO[:-1] + b"!"

    tampered = bundle_format.read(rewritten(data, replace={f"files/{sha(PHOTO)}": other}))
    tampered.verify(PUBLIC)  # the document is untouched: only the hash tells

    with pytest.raises(BundleError, match="is not the content its signed list names"):
        tampered.check_files()


def test_a_flipped_byte_in_a_member_is_damage():
    data = bundle_with(carried(PHOTO))
    at = data.index(PHOTO[:64]) + 100

    damaged = bundle_format.read(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])

    with pytest.raises(BundleError, match="is damaged"):
        damaged.check_files()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: rewritten(d, drop=(f"files/{sha(PHOTO)}",)), "lists the file .* does not carry"),
        (lambda d: rewritten(d, replace={"files/" + "0" * 64: b"x"}), "which its list of files"),
        (lambda d: rewritten(d, replace={"notes.txt": b"x"}), "which its list of files"),
        (lambda d: rewritten(d, replace={f"files/{sha(PHOTO)}": PHOTO + b"x"}), "does not have"),
    ],
)
def test_members_the_list_does_not_name_or_misses_are_refused(change, message):
    with pytest.raises(BundleError, match=message):
        bundle_format.read(change(bundle_with(carried(PHOTO))))


def test_the_signature_covers_the_list_of_files():
    data = bundle_with(carried(PHOTO))
    document = document_of(data)
    document["header"]["files"] = []

    bundle = bundle_format.read(rewritten(data, document=document, drop=(f"files/{sha(PHOTO)}",)))

    with pytest.raises(BundleError, match="signature does not match"):
        bundle.verify(PUBLIC)


def test_content_that_is_not_what_it_claims_is_never_written_out():
    lying = CarriedFile(sha(PHOTO), len(PHOTO), lambda: io.BytesIO(NOTES), "image/jpeg")

    with pytest.raises(BundleError, match="is not what its reference says"):
        bundle_with(lying)


def test_a_document_over_the_limit_is_refused_before_it_is_parsed():
    data = bundle_with(payload={"changes": [], "padding": "x" * 5000})

    with pytest.raises(BundleError, match="larger than 1000 bytes once decompressed"):
        bundle_format.read(data, max_bytes=1000)


def test_a_bundle_of_the_version_before_files_still_reads():
    data = old_format("changes", signing_key=KEY, server="site", device=DEVICE,
                      payload={"changes": [{"id": "x"}]})  # fmt: skip

    with opened(data) as bundle:
        assert (bundle.header["version"], bundle.kind, bundle.files) == (2, "changes", {})
        assert bundle.payload == {"changes": [{"id": "x"}]}


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04 not really a zip", "damaged or cut off"),
        (b"plain text", "not a fieldsync bundle"),
    ],
)
def test_what_is_not_a_bundle_says_so(data, message):
    with pytest.raises(BundleError, match=message):
        bundle_format.read(data)


def test_a_bundle_cut_off_is_refused():
    data = bundle_with(carried(PHOTO))

    with pytest.raises(BundleError, match="damaged or cut off"):
        bundle_format.read(data[: len(data) - 30])


def test_a_bundle_reads_from_a_path_and_streams_from_it(tmp_path):
    path = tmp_path / "office.fieldsync"
    path.write_bytes(bundle_with(carried(NOTES, "text/plain")))

    with bundle_format.read(path) as bundle:
        bundle.check_files()
        with bundle.open_file(sha(NOTES)) as member:
            assert member.read() == NOTES
    assert members_of(path.read_bytes())[f"files/{sha(NOTES)}"] == NOTES
