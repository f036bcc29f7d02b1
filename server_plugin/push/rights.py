"""Who may write what, checked per change as it is applied.

Rights and rows change while an editor is offline, so each is checked when
the change arrives and a refusal is that change's alone (`Rejected`): a model
the site made read-only, a missing Django permission, a lost category grant,
a category or parent deleted centrally, a record found in a category the
change does not say it is in. The one refusal of the whole batch is a lease
this device no longer holds on the category a change says it is in (409,
from checkouts.require_checkout): checking out again lets the same batch
through, which a rejection would not.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ..access import may_see_category, model_permission_refusal
from ..category_names import GONE, category_name
from ..checkouts import renew, require_checkout
from ..errors import ApiError
from ..models import Device
from ..protocol import wire
from ..registry import REFERENCE_KEY, Registry, SyncedModel
from .rejected import Rejected, error_dict


class WriteRights:
    def __init__(self, device: Device, registry: Registry, *, reviewer=None):
        self.device = device
        self.user = device.user
        self.registry = registry
        self.reviewer = reviewer  # a chief editor's decision needs no lease
        self.checked_out: set[str] = set()
        self.used_now: set[str] = set()  # categories the change being applied writes to
        self.to_renew: set[str] = set()  # leases a change that stood used

    def start_change(self) -> None:
        self.used_now = set()

    def change_stood(self) -> None:
        self.to_renew |= self.used_now

    def renew_leases(self) -> None:
        """A lease is renewed by a change that stood, once per batch: a refused
        change writes nothing but its answer."""
        for key in sorted(self.to_renew):
            renew(self.device, key)

    def require_model(self, synced: SyncedModel, change: wire.Change) -> None:
        """A model clients may write, and the user's Django permission for the
        operation: rights that may have narrowed since the edit was made."""
        if not synced.writable:
            raise Rejected({"__all__": [f"{synced.label} is read-only reference data."]})
        refusal = model_permission_refusal(self.user, synced, change.op)
        if refusal is not None:
            raise Rejected({"__all__": [refusal]})

    def require_category(
        self, key: str | None, synced: SyncedModel, change: wire.Change, instance=None
    ) -> None:
        """This device may write to category `key` (where the record is, or goes).

        A lost grant, a category deleted centrally, or a category the change does
        not say it is in (the record moved there centrally) rejects the change
        alone. A lease this device no longer holds on the category the change
        says it is in refuses the batch (409): checking out again lets the
        same changes through, which a rejection would not.
        """
        if key is None or synced.is_reference or key == REFERENCE_KEY or self.reviewer is not None:
            return
        if key in self.checked_out:
            self.used_now.add(key)
            return
        if not may_see_category(self.user, key):
            raise Rejected({"__all__": ["You have no grant for the category this record is in."]})
        noun = synced.model._meta.verbose_name
        try:
            require_checkout(self.device, key, renew=False)
        except ApiError:
            if not self._category_exists(key):
                raise parent_gone(synced, instance) or Rejected(
                    {"__all__": [f"this {noun} is in {GONE}"]}
                ) from None
            if change.category is not None and str(change.category) != key:
                name = category_name(key)
                raise Rejected(
                    {"__all__": [f"this {noun} is now in {name} on the central site, which this "
                                 f"device has not checked out: check {name} out to edit it there"]}
                ) from None  # fmt: skip
            raise
        self.checked_out.add(key)
        self.used_now.add(key)

    def category_of(
        self, synced: SyncedModel, change: wire.Change, instance, m2m: dict | None = None
    ) -> str | None:
        """The category a record with these values belongs to, checked writable; a
        categorised record whose path leads nowhere is rejected, naming the field."""
        key = synced.category_key_of(instance, m2m)
        if key is None and not synced.is_reference:
            hop = synced.category_path.split("__")[0]
            raise parent_gone(synced, instance) or Rejected(
                {hop: ["must lead to a category; these values lead to none"]}
            )
        self.require_category(key, synced, change, instance)
        return key

    def _category_exists(self, key: str) -> bool:
        category_model = self.registry.category_model
        try:
            return category_model._default_manager.filter(pk=key).exists()
        except (ValueError, TypeError, ValidationError):
            return False


def parent_gone(synced: SyncedModel, instance) -> Rejected | None:
    """The first hop of the category path checked as full_clean() checks it, in
    Django's words ("station instance with id 6 is not a valid choice."): the
    row it names was deleted centrally while the editor was offline."""
    if instance is None or synced.category_path is None:
        return None
    hop = synced.category_path.split("__")[0]
    others = [f.name for f in synced.model._meta.fields if f.name != hop]
    try:
        instance.clean_fields(exclude=others)
    except ValidationError as error:
        return Rejected(error_dict(error))
    return None
