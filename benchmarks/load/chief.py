"""The chief editor of the load run, in the Django admin over real HTTP: logs in at
/admin/, then again and again opens an article's change form (GET), puts a marker
sentence into its body (sometimes changes its status) and saves it (POST, with
the form's CSRF token), as a person in a browser would. The same articles editors
work on most (the first few of each section) come up half the time.

Each save is journaled with the moment its form was read and the moment the save
answered: the admin saves the whole form, so a sync that lands in between is
overwritten by it, and the oracle needs those windows to say so.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from html.parser import HTMLParser

import requests

from .journal import Journal, with_marker
from .site import PASSWORD, pg_query

HOT = 4
STATUSES = ["draft", "review", "published"]


class FormFields(HTMLParser):
    """The fields a browser would submit from the page's first POST form."""

    def __init__(self, form_id: str | None = None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self.errors = 0
        self._in_form = False
        self._done = False
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "errorlist" in (a.get("class") or "") or "errornote" in (a.get("class") or ""):
            self.errors += 1
        if tag == "form" and (a.get("method") or "").lower() == "post" and not self._done:
            self._in_form = self.form_id is None or a.get("id") == self.form_id
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
            elif kind not in ("file", "submit", "button", "image", "reset"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:  # the admin's forms do not nest
            self._in_form, self._done = False, True
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            self.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            if text.startswith("\r\n"):  # Django's textarea starts with a line break that
                text = text[2:]  # a browser drops (HTML's rule), html.parser does not
            elif text.startswith("\n"):
                text = text[1:]
            self.fields.append((self._textarea, text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)


def form_of(html: str, form_id: str | None = None) -> FormFields:
    parser = FormFields(form_id)
    parser.feed(html)
    return parser


def log_in(session: requests.Session, url: str) -> None:
    page = session.get(f"{url}/admin/login/", timeout=60)
    token = dict(form_of(page.text, "login-form").fields)["csrfmiddlewaretoken"]
    answer = session.post(
        f"{url}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token,
            "username": "chief",
            "password": PASSWORD,
            "next": "/admin/",
        },
        headers={"Referer": f"{url}/admin/login/"},
        timeout=60,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"chief could not log in to the admin: {answer.status_code}")


def articles(database: str) -> tuple[list[str], list[str]]:
    """(every article's id, the hot ones: the first HOT of each section by id)."""
    rows = pg_query(
        database, "SELECT id::text, section_id FROM news_article ORDER BY section_id, id::text"
    )
    hot, per_section = [], {}
    for pk, section in rows:
        per_section.setdefault(section, []).append(pk)
    for pks in per_section.values():
        hot += pks[:HOT]
    return [pk for pk, _ in rows], hot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.chief")
    parser.add_argument("--url", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--journal", required=True)
    parser.add_argument("--until", type=float, required=True)
    parser.add_argument("--interval", type=float, nargs=2, default=(2.0, 4.0))
    args = parser.parse_args(argv)
    rng = random.Random(f"chief:{time.time_ns()}")
    journal = Journal(args.journal)
    session = requests.Session()
    log_in(session, args.url)
    number = 0
    while time.time() < args.until:
        every, hot = articles(args.database)
        pk = rng.choice(hot if rng.random() < 0.5 else every)
        number += 1
        mark = f"m:chief:{number}"
        journal.write(kind="intent", n=number, op="edit", writer="chief", marker=mark, pk=pk)
        change_url = f"{args.url}/admin/news/article/{pk}/change/"
        t_get = time.time()
        page = session.get(change_url, timeout=60)
        if page.status_code != 200 or "/change/" not in page.url:
            journal.write(kind="aborted", n=number, error=f"GET {page.status_code} {page.url}")
            time.sleep(rng.uniform(*args.interval))
            continue
        fields = form_of(page.text, "article_form").fields
        values = dict(fields)
        if "body" not in values:
            journal.write(kind="aborted", n=number, error="no body in the form")
            time.sleep(rng.uniform(*args.interval))
            continue
        edited = []
        for name, value in fields:
            if name == "body":
                value = with_marker(value, mark, rng)
            elif name == "status" and rng.random() < 0.15:
                value = rng.choice(STATUSES)
            edited.append((name, value))
        edited.append(("_save", "Save"))
        answer = session.post(
            change_url,
            data=edited,
            headers={"Referer": change_url},
            timeout=60,
            allow_redirects=False,
        )
        t_post = time.time()
        if answer.status_code == 302:
            journal.write(kind="done", n=number, t_get=t_get, t_post=t_post)
        else:
            errors = form_of(answer.text, "article_form").errors if answer.status_code == 200 else 0
            journal.write(
                kind="aborted",
                n=number,
                t_get=t_get,
                t_post=t_post,
                error=f"POST {answer.status_code} ({errors} form errors)",
            )
        time.sleep(rng.uniform(*args.interval))
    journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
