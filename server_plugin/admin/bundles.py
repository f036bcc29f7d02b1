"""The admin's bundle pages, for offices with no connection (docs/bundles.md).

"Export a category for a device" downloads a signed category bundle (with
the content of its files up to a size the page asks) and takes the device's
checkout; "Apply a changes bundle" uploads what an office exported, stores
the files it carries, applies it through the push path and shows each
change's result, with the answers bundle to download. Bundles are written to
temporary files and streamed, never held whole in memory. Both hang off the Devices admin (links
on the Devices and Checkouts lists) and need staff status plus the
permission to change devices: a bundle acts for a device. Exports are signed
with the site's key; an upload is checked with the public key its device
registered at login, so a device that logged in before keys is told to log
in again (bundles.py says it, naming the device).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST

from .. import bundles
from ..api.bundles import bundle_download
from ..errors import ApiError
from ..models import Device
from ..protocol import bundle_format
from ..registry import get_registry

BUNDLE_PERMISSION = "fieldsync.change_device"
_ANSWERS_SALT = "fieldsync.bundles.answers-request"
_ANSWERS_MAX_AGE = 7 * 24 * 3600  # the results page's download button stays good a week


class _DeviceChoice(forms.ModelChoiceField):
    def label_from_instance(self, device: Device) -> str:
        if not device.public_key:
            return f"{device} — logged in before bundle keys: must log in again"
        return str(device)


class ExportForm(forms.Form):
    device = _DeviceChoice(
        queryset=Device.objects.filter(revoked_at__isnull=True).select_related("user"),
        help_text="The office's device: it will hold the category's checkout.",
    )
    category = forms.ChoiceField()
    download_limit = forms.FloatField(
        label="File content up to (MB)",
        min_value=0,
        required=False,
        initial=bundle_format.DEFAULT_FILE_LIMIT / 1024 / 1024,
        help_text="Each file of at most this size travels in the bundle; bigger files "
        "travel as references, for the office to fetch when it is online.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = get_registry().category_model
        rows = model._default_manager.all() if model is not None else []
        self.fields["category"].choices = [(str(c.pk), str(c)) for c in rows]


class UploadForm(forms.Form):
    bundle = forms.FileField(
        label="Changes bundle",
        help_text="The file `fieldsync export --changes` wrote on the office's computer.",
    )


class BundleAdminMixin:
    """Adds the bundle pages to a ModelAdmin (the Devices admin)."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("bundles/export/", wrap(self.export_bundle_view),
                 name="fieldsync_device_bundle_export"),
            path("bundles/apply/", wrap(self.apply_bundle_view),
                 name="fieldsync_device_bundle_apply"),
            path("bundles/answers/", wrap(require_POST(self.answers_bundle_view)),
                 name="fieldsync_device_bundle_answers"),
        ] + super().get_urls()  # fmt: skip

    def _page(self, request, template: str, title: str, **context) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **context,
        }
        return TemplateResponse(request, template, context)

    @staticmethod
    def _require_permission(request) -> None:
        if not request.user.has_perm(BUNDLE_PERMISSION):
            raise PermissionDenied("Bundles act for a device: this needs change_device.")

    def export_bundle_view(self, request):
        self._require_permission(request)
        if request.method == "POST":
            form = ExportForm(request.POST)
            if form.is_valid():
                device, key = form.cleaned_data["device"], form.cleaned_data["category"]
                megabytes = form.cleaned_data["download_limit"]
                limit = (
                    bundle_format.DEFAULT_FILE_LIMIT
                    if megabytes is None
                    else int(megabytes * 1024 * 1024)
                )
                try:
                    return bundle_download(
                        bundles.write_category, device, key, download_limit=limit
                    )
                except (ApiError, bundle_format.BundleError) as error:
                    messages.error(request, f"Not exported: {error}")
        else:
            form = ExportForm(initial={"device": request.GET.get("device")})
        return self._page(
            request, "fieldsync/bundle_export.html", "Export a category for a device", form=form
        )

    def apply_bundle_view(self, request):
        self._require_permission(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload_file = form.cleaned_data["bundle"]
            try:
                upload = bundles.read_changes(upload_file.file)
                applied = bundles.apply_changes(upload)
            except bundle_format.BundleError as error:
                messages.error(request, f"{upload_file.name} refused: {error}")
            else:
                answers = bundles.AnswersRequest.of(applied).to_json()
                return self._page(
                    request,
                    "fieldsync/bundle_applied.html",
                    f"Applied {upload_file.name}",
                    applied=applied,
                    device=upload.device,
                    counts=sorted(applied.counts().items()),
                    answers_token=signing.dumps(answers, salt=_ANSWERS_SALT, compress=True),
                )
        return self._page(
            request, "fieldsync/bundle_apply.html", "Apply a changes bundle", form=form
        )

    def answers_bundle_view(self, request):
        self._require_permission(request)
        try:
            answers = signing.loads(
                request.POST.get("answers", ""), salt=_ANSWERS_SALT, max_age=_ANSWERS_MAX_AGE
            )
            return bundle_download(bundles.write_answers, bundles.AnswersRequest.from_json(answers))
        except signing.BadSignature:
            return HttpResponseBadRequest(
                "This download button is broken or too old: upload the bundle again "
                "(nothing is applied twice) to get its answers."
            )
        except bundle_format.BundleError as error:
            return HttpResponseBadRequest(str(error))
