"""The sentences an editor reads name categories and records, never their ids; the
ids stay in the JSON fields for programs. A category the user may not see is
never named (the answer says nothing of it)."""

from __future__ import annotations

import uuid

from server_plugin.demo.news.models import Section
from server_plugin.models import CategoryGrant, Checkout

from .conftest import article_in, pulled, update


def test_a_category_without_a_grant_is_refused_without_its_id_or_its_name(editor1, newsroom):
    culture = Section.objects.get(name="Culture")
    CategoryGrant.objects.filter(user__username="editor1", category_key=str(culture.pk)).delete()

    status, body = editor1.checkout(culture)

    assert status == 403 and body["category"] == str(culture.pk)
    assert body["detail"] == "You have no grant for this category (or there is no such category)."


def test_a_change_to_a_record_the_site_never_had_is_rejected_in_words(editor1, newsroom):
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    ghost = str(uuid.uuid4())

    _, body = editor1.push({**update(record, {"title": "Ghost"}), "pk": ghost})

    (result,) = body["results"]
    assert result["status"] == "rejected" and result["pk"] == ghost
    assert result["errors"] == {"pk": ["this article does not exist on the central site"]}


def test_a_reference_to_a_new_record_never_created_says_so_without_its_temporary_id(
    editor1, newsroom
):
    editor1.checkout(newsroom)
    temporary = f"tmp:{uuid.uuid4()}"

    _, body = editor1.push(
        {"id": str(uuid.uuid4()), "op": "update", "model": "news.photo", "pk": temporary,
         "base_version": 1, "values": {"caption": "Lost"}}  # fmt: skip
    )

    (message,) = body["results"][0]["errors"]["pk"]
    assert temporary not in message
    assert message == (
        "refers to a new record the central site never created (its creation was refused, "
        "or not sent yet)"
    )



def test_the_admin_names_a_checkout_and_a_grant_by_their_category(editor1, newsroom):
    editor1.checkout(newsroom)

    (checkout,) = Checkout.objects.all()
    grant = CategoryGrant.objects.filter(user__username="editor1", category_key=str(newsroom.pk))

    assert str(checkout) == "Politics by editor1 on editor1-laptop"
    assert str(grant.get()) == "editor1 → Politics"
