"""System checks for the settings a site developer is most likely to get wrong."""

from django.core import checks

from .conf import fieldsync_settings

TAG = "fieldsync"  # ``manage.py check --tag fieldsync`` runs these checks alone


@checks.register(TAG)
def check_fieldsync_settings(app_configs, **kwargs):
    errors = []
    config = fieldsync_settings()
    if config["CHECKOUT_MODE"] not in ("exclusive", "advisory"):
        errors.append(
            checks.Error(
                f"FIELDSYNC['CHECKOUT_MODE'] is {config['CHECKOUT_MODE']!r}.",
                hint="Use 'exclusive' or 'advisory'.",
                id="fieldsync.E001",
            )
        )
    if not config["MODELS"]:
        errors.append(
            checks.Warning(
                "FIELDSYNC['MODELS'] is empty, so nothing syncs.",
                hint="Name the models editors work on, e.g. {'news.Article': {'category': "
                "'section'}}.",
                id="fieldsync.W001",
            )
        )
    positive = ("CHECKOUT_LEASE_SECONDS", "MAX_BODY_BYTES", "PULL_LIMIT", "MAX_PULL_LIMIT",
                "MAX_BUNDLE_BYTES", "MAX_FILE_BYTES", "TOKEN_IDLE_SECONDS",
                "TOKEN_MAX_AGE_SECONDS",
                "LOGIN_FAILURES_PER_USERNAME", "LOGIN_FAILURES_PER_ADDRESS",
                "LOGIN_FAILURE_WINDOW_SECONDS", "LOGIN_CONCURRENT_CHECKS")  # fmt: skip
    for name in positive:
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors.append(
                checks.Error(
                    f"FIELDSYNC[{name!r}] is {value!r}.",
                    hint="It must be a positive integer.",
                    id="fieldsync.E002",
                )
            )
    errors.extend(_token_and_login_checks(config))
    errors.extend(_refused_models())
    return errors


def _token_and_login_checks(config: dict) -> list:
    found = []
    header = config["LOGIN_ADDRESS_HEADER"]
    if header is not None and (not isinstance(header, str) or not header.startswith("HTTP_")):
        found.append(
            checks.Error(
                f"FIELDSYNC['LOGIN_ADDRESS_HEADER'] is {header!r}.",
                hint="Name the header as Django's request.META does, e.g. "
                "'HTTP_X_FORWARDED_FOR', or None to count REMOTE_ADDR.",
                id="fieldsync.E003",
            )
        )
    idle, max_age = config["TOKEN_IDLE_SECONDS"], config["TOKEN_MAX_AGE_SECONDS"]
    if all(isinstance(v, int) and v > 0 for v in (idle, max_age)) and idle > max_age:
        found.append(
            checks.Warning(
                f"FIELDSYNC['TOKEN_IDLE_SECONDS'] ({idle}) is longer than "
                f"FIELDSYNC['TOKEN_MAX_AGE_SECONDS'] ({max_age}), so it never applies.",
                hint="Make the idle limit shorter than the absolute age.",
                id="fieldsync.W002",
            )
        )
    return found


def _refused_models() -> list:
    """Registered models that cannot sync (shapes.py): each named, with the
    reason and the way out. The model is the error's object, so Django prints
    its label first, as for its own model checks."""
    from .registry import get_registry

    return [
        checks.Error(refusal.reason, hint=refusal.hint, obj=refusal.model, id=refusal.id)
        for refusal in get_registry().refused
    ]
