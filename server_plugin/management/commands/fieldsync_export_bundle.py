"""``manage.py fieldsync_export_bundle --device ID --category ID -o FILE``.

The command-line twin of the admin's "Export a category for a device": a
signed category bundle for an office with no connection (docs/bundles.md).
It takes the device's checkout of the category, as the admin page does.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...bundles import export_category
from ...errors import ApiError
from ...models import Device
from ...protocol.bundle_format import BundleError
from ._files import write_atomically


class Command(BaseCommand):
    help = "Export a category to a signed bundle file for one device (takes its checkout)."

    def add_arguments(self, parser):
        parser.add_argument("--device", required=True, type=int, help="the device's id")
        parser.add_argument("--category", required=True, help="the category's id (primary key)")
        parser.add_argument("-o", "--output", required=True, type=Path, help="the file to write")

    def handle(self, *args, device, category, output, **options):
        found = Device.objects.select_related("user").filter(pk=device).first()
        if found is None:
            raise CommandError(f"there is no device {device}")
        try:
            data, _name = export_category(found, category)
        except (ApiError, BundleError) as error:
            raise CommandError(str(error)) from None
        write_atomically(output, data)
        self.stdout.write(
            f"Wrote category {category} for device {found.pk} ({found.name}, {found.user}) "
            f"to {output} ({len(data)} bytes); the device holds its checkout."
        )
