"""``manage.py fieldsync_apply_bundle FILE [-o ANSWERS]``.

The command-line twin of the admin's upload page: stores the files a changes
bundle carries, applies its changes through the push path (conflicts, review
and receipts as online: applying the same file twice stores and applies
nothing twice), prints each change's result and writes the answers bundle the
office imports with ``fieldsync import``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...bundles import AnswersRequest, apply_changes, read_changes, write_answers
from ...protocol.bundle_format import SUFFIX, BundleError, write_atomically


class Command(BaseCommand):
    help = "Apply a changes bundle from an office and write the answers bundle for it."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the changes bundle")
        parser.add_argument(
            "-o",
            "--answers",
            type=Path,
            help=f"where to write the answers (default: FILE with .answers{SUFFIX})",
        )

    def handle(self, *args, file, answers, **options):
        try:
            upload = read_changes(file)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        except BundleError as error:
            raise CommandError(f"{file} refused: {error}") from None
        try:
            applied = apply_changes(upload)
        except BundleError as error:
            raise CommandError(f"{file} refused: {error}") from None
        device = upload.device
        self.stdout.write(f"{file}: {len(upload.changes)} change(s) from device {device.pk} "
                          f"({device.name}, {device.user})")  # fmt: skip
        for result in applied.results:
            line = f"  {result['status']:<9} {result['model']} {result['pk']}"
            if result.get("message"):
                line += f": {result['message']}"
            self.stdout.write(line)
        for refusal in applied.refused:
            self.stdout.write(
                f"  NOT APPLIED: {len(refusal.changes)} change(s) of "
                f"{refusal.category_name}: {refusal.detail}"
            )
        for warning in applied.warnings:
            self.stdout.write(f"  warning: {warning}")
        if applied.files_text:
            self.stdout.write(f"Files: {applied.files_text}.")
        counts = ", ".join(f"{n} {status}" for status, n in sorted(applied.counts().items()))
        self.stdout.write(f"Results: {counts or 'nothing to apply'}.")
        target = answers or file.with_name(file.name.removesuffix(SUFFIX) + ".answers" + SUFFIX)
        try:
            write_atomically(target, lambda out: write_answers(AnswersRequest.of(applied), out))
        except BundleError as error:
            raise CommandError(f"applied, but no answers: {error}") from None
        except OSError as error:
            raise CommandError(f"applied, but cannot write {target}: {error.strerror}") from None
        self.stdout.write(f"Wrote the answers to {target}: import it with `fieldsync import`.")
