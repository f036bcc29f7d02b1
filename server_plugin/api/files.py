"""The file endpoints: content by hash, uploaded in chunks, downloaded with Range.

``POST files/uploads`` starts (or finds) an upload, ``GET files/uploads/<sha256>``
says how far it got, ``PUT files/uploads/<sha256>?offset=N`` adds a chunk, and
``GET files/<sha256>`` streams content to a user who may see a record that
refers to it (docs/files.md; docs/protocol.md shows each).
"""

from __future__ import annotations

from django.http import FileResponse

from .. import uploads
from ..access import file_visible_to, may_attach_files
from ..conf import setting
from ..errors import ApiError, bad_request, forbidden, not_found
from ..protocol import files
from .endpoint import endpoint, int_param, json_body

DOWNLOAD_BLOCK_BYTES = 256 * 1024  # what each step of a download reads and sends


@endpoint("POST")
def start_upload(request):
    data = json_body(request)
    unknown = sorted(set(data) - {"sha256", "size", "content_type", "name"})
    if unknown:
        raise bad_request(f"{unknown[0]!r} is not a key of an upload", where=unknown[0])
    try:
        ref = files.read_ref(data)
    except files.FileRefError as error:
        raise bad_request(str(error)) from None
    if ref is None:
        raise bad_request("name the content to upload: sha256, size, content_type, name")
    limit = setting("MAX_FILE_BYTES")
    if ref.size > limit:
        raise ApiError(413, "too_large", f"the file is {files.size_text(ref.size)}, over the "
                       f"site's limit of {files.size_text(limit)}", limit=limit)  # fmt: skip
    if not may_attach_files(request.device.user):
        raise forbidden("You may not change or add records of any synced model with a file.")
    return _answer(lambda: uploads.start(request.device, ref).to_json())


@endpoint("GET", "PUT")
def upload(request, sha256: str):
    if request.method == "GET":
        state = uploads.state(request.device, sha256)
        if state is None:
            raise not_found(f"no upload of {sha256} from this device; start it with "
                            "POST files/uploads")  # fmt: skip
        return state.to_json()
    if "offset" not in request.GET:
        raise bad_request("say where the chunk starts: ?offset=N", where="offset")
    offset = int_param(request, "offset", 0)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = None
    state = _answer(lambda: uploads.receive(request.device, sha256, offset, request, declared))
    if state.mismatch:
        return 400, {
            "error": "content_mismatch",
            "detail": f"the content received does not have the sha256 {sha256}; "
            "the upload was emptied: send it again from offset 0",
            "received": 0,
        }
    return {"received": state.received, "complete": state.complete}


@endpoint("GET")
def download(request, sha256: str):
    found = file_visible_to(request.device.user, sha256)
    if found is None:  # the same answer for "no such content" and "not yours"
        raise not_found(f"the site holds no file {sha256} you may see")
    storage, stored = found
    try:
        start = files.range_start(request.headers.get("Range"), stored.size)
    except ValueError as error:
        refused = ApiError(416, "range_not_satisfiable", str(error), size=stored.size)
        refused.headers = {"Content-Range": f"bytes */{stored.size}"}
        raise refused from None
    try:
        stream = storage.open(stored.name, "rb")
    except OSError:
        raise not_found(f"the site holds no file {sha256} you may see") from None
    start = start if stored.size else None
    if start:
        stream.seek(start)
    response = FileResponse(stream, content_type=stored.content_type)
    response.block_size = DOWNLOAD_BLOCK_BYTES
    response["Content-Length"] = str(stored.size - (start or 0))
    response["ETag"] = f'"{sha256}"'
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"  # content from clients: never a page
    response["Content-Security-Policy"] = "sandbox"
    if start is not None and stored.size:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{stored.size - 1}/{stored.size}"
    return response


def _answer(work):
    """Run an upload step; its refusals become the API's 4xx answers."""
    try:
        return work()
    except uploads.UploadRefused as refused:
        raise ApiError(refused.status, refused.code, refused.detail, **refused.extra) from None
