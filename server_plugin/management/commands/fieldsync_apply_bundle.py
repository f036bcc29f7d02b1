"""``manage.py fieldsync_apply_bundle FILE [-o ANSWERS]``.

The command-line twin of the admin's upload page: applies a changes bundle
through the push path (conflicts, review and receipts as online: applying
the same file twice applies nothing twice), prints each change's result and
writes the answers bundle the office imports with ``fieldsync import``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...bundles import AnswersRequest, apply_changes, make_answers, read_changes
from ...protocol.bundle_format import SUFFIX, BundleError
from ._files import write_atomically


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
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            upload = read_changes(data)
        except BundleError as error:
            raise CommandError(f"{file} refused: {error}") from None
        applied = apply_changes(upload)
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
                f"  NOT APPLIED: {len(refusal.changes)} change(s) of category "
                f"{refusal.category}: {refusal.detail}"
            )
        for warning in applied.warnings:
            self.stdout.write(f"  warning: {warning}")
        counts = ", ".join(f"{n} {status}" for status, n in sorted(applied.counts().items()))
        self.stdout.write(f"Results: {counts or 'nothing to apply'}.")
        target = answers or file.with_name(file.name.removesuffix(SUFFIX) + ".answers" + SUFFIX)
        try:
            answer_data, _name = make_answers(AnswersRequest.of(applied))
        except BundleError as error:
            raise CommandError(f"applied, but no answers: {error}") from None
        write_atomically(target, answer_data)
        self.stdout.write(f"Wrote the answers to {target}: import it with `fieldsync import`.")
