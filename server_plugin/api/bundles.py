"""``GET v1/categories/<id>/bundle``: a category bundle for the asking device.

So a connected editor can prepare the file an office without a connection
imports (docs/bundles.md). Like ``POST .../checkout`` it takes or renews the
device's checkout; asking again renews the same lease and answers an
equivalent file, so the request is safe to repeat.
"""

from __future__ import annotations

from django.http import HttpResponse

from .. import bundles
from ..errors import ApiError
from ..protocol import bundle_format
from .endpoint import endpoint


@endpoint("GET")
def category_bundle(request, category_id: str):
    try:
        data, name = bundles.export_category(request.device, category_id)
    except bundle_format.BundleError as error:
        raise ApiError(403, "forbidden", str(error)) from None
    response = HttpResponse(data, content_type=bundle_format.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
