"""``GET v1/categories/<id>/bundle``: a category bundle for the asking device.

So a connected editor can prepare the file an office without a connection
imports (docs/bundles.md). Like ``POST .../checkout`` it takes or renews the
device's checkout; asking again renews the same lease and answers an
equivalent file, so the request is safe to repeat. ``?download_limit=BYTES``
says up to which size a file's content travels in it (default 2 MB, the
client's download limit); bigger files travel as references. The file is
written to a temporary file and streamed from there, never held in memory.
"""

from __future__ import annotations

import tempfile

from django.http import FileResponse

from .. import bundles
from ..errors import ApiError
from ..protocol import bundle_format
from .endpoint import endpoint, int_param


@endpoint("GET")
def category_bundle(request, category_id: str):
    limit = int_param(request, "download_limit", bundle_format.DEFAULT_FILE_LIMIT)
    try:
        return bundle_download(
            bundles.write_category, request.device, category_id, download_limit=limit
        )
    except bundle_format.BundleError as error:
        raise ApiError(403, "forbidden", str(error)) from None


def bundle_download(write, *args, **options) -> FileResponse:
    """The bundle `write(*args, out, **options)` writes (returning its file name), as a
    download streamed from a temporary file, which the response closes once sent."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    try:
        name = write(*args, out, **options)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=name, content_type=bundle_format.MEDIA_TYPE
    )
