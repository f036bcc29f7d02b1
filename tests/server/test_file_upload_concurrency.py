"""Two app servers taking the same chunk of an upload at once (a client retrying
while its first attempt is still arriving): one is recorded, the other is told
where the upload is, and the content completes right."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from server_plugin.models import FileUpload

from .conftest import Api, DbThread, login
from .file_helpers import Uploader, files_under, image_bytes, ref_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHUNK = 16 * 1024


def test_the_same_chunk_sent_twice_at_once_is_recorded_once(media_root):
    assert connection.vendor == "postgresql", "run with FIELDSYNC_TEST_DB=postgres"
    call_command("seed_demo", articles=1, image_size="32x32", verbosity=0)
    editor = login("editor1")
    data = image_bytes("twice at once", size=(200, 150), kind="BMP")
    ref = ref_of(data, name="scan.bmp", content_type="image/bmp")
    Uploader(editor).start(ref)
    answers: list = []
    start = threading.Barrier(2)

    def send():
        start.wait()
        copy = Api(editor.token)  # another connection, as another app server would see
        answers.append(copy.put(f"files/uploads/{ref['sha256']}", data[:CHUNK], offset=0))

    threads = [DbThread(f"copy-{n}", send) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.finish()

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["received"] == CHUNK
    upload = FileUpload.objects.get(sha256=ref["sha256"])
    assert upload.received == CHUNK and len(upload.chunks) == 1
    assert len(files_under(media_root, "fieldsync-uploads")) == 1, "the loser's copy is gone"
    Uploader(editor, chunk=CHUNK).send(data, ref)
    assert FileUpload.objects.get(sha256=ref["sha256"]).complete
