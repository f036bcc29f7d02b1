"""A writer through the ORM, as the site's own code would write (a management
command, a view): a process with the demo's settings saving articles with
``Model.save()``, tracked by the plugin's signals. Each save reads the row with
``select_for_update`` in its transaction, as careful code that edits a text does,
and puts a marker sentence into its body; journaled like every other writer.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from .journal import Journal, with_marker

HOT = 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.orm_writer")
    parser.add_argument("--journal", required=True)
    parser.add_argument("--until", type=float, required=True)
    parser.add_argument("--interval", type=float, nargs=2, default=(1.5, 3.0))
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.db import transaction

    from server_plugin.demo.news.models import Article

    rng = random.Random(f"orm:{time.time_ns()}")
    journal = Journal(args.journal)
    number = 0
    while time.time() < args.until:
        rows = list(Article.objects.order_by("section_id", "id").values_list("pk", "section_id"))
        per_section: dict = {}
        for pk, section in rows:
            per_section.setdefault(section, []).append(pk)
        hot = [pk for pks in per_section.values() for pk in sorted(pks, key=str)[:HOT]]
        pk = rng.choice(hot if rng.random() < 0.5 else [pk for pk, _ in rows])
        number += 1
        mark = f"m:orm:{number}"
        journal.write(kind="intent", n=number, op="edit", writer="orm", marker=mark, pk=str(pk))
        with transaction.atomic():
            article = Article.objects.select_for_update().filter(pk=pk).first()
            if article is not None:
                article.body = with_marker(article.body, mark, rng)
                article.save()
        if article is None:
            journal.write(kind="aborted", n=number, error="deleted meanwhile")
        else:
            journal.write(kind="done", n=number)
        time.sleep(rng.uniform(*args.interval))
    journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
