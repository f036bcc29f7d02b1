"""``manage.py fieldsync_export_bundle --device ID --category ID -o FILE [--download-limit N]``.

The command-line twin of the admin's "Export a category for a device": a
signed category bundle for an office with no connection (docs/bundles.md),
with the content of each file of at most N bytes (default 2 MB); bigger files
travel as references. It takes the device's checkout of the category, as the
admin page does.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...bundles import write_category
from ...category_names import category_name
from ...errors import ApiError
from ...models import Device
from ...protocol.bundle_format import DEFAULT_FILE_LIMIT, BundleError, write_atomically


class Command(BaseCommand):
    help = "Export a category to a signed bundle file for one device (takes its checkout)."

    def add_arguments(self, parser):
        parser.add_argument("--device", required=True, type=int, help="the device's id")
        parser.add_argument("--category", required=True, help="the category's id (primary key)")
        parser.add_argument("-o", "--output", required=True, type=Path, help="the file to write")
        parser.add_argument(
            "--download-limit",
            type=int,
            default=DEFAULT_FILE_LIMIT,
            metavar="BYTES",
            help="carry the content of each file of at most this size (default: 2 MB); "
            "bigger files travel as references",
        )

    def handle(self, *args, device, category, output, download_limit, **options):
        found = Device.objects.select_related("user").filter(pk=device).first()
        if found is None:
            raise CommandError(f"there is no device {device}")
        if download_limit < 0:
            raise CommandError("--download-limit is a number of bytes, from 0")
        try:
            write_atomically(
                output,
                lambda out: write_category(found, category, out, download_limit=download_limit),
            )
        except (ApiError, BundleError) as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
        self.stdout.write(
            f"Wrote {category_name(category)} for device {found.pk} ({found.name}, {found.user}) "
            f"to {output} ({output.stat().st_size} bytes); the device holds its checkout."
        )
