"""Settings of the demo central site, read from the environment.

- ``FIELDSYNC_DEMO_DATA_DIR``: folder for the SQLite database and the secret key.
- ``FIELDSYNC_DEMO_DATABASE_URL``: use this database instead (e.g.
  ``postgres://postgres@127.0.0.1:5432/fieldsync_demo``).
"""

import os
import secrets
from pathlib import Path

import dj_database_url

DATA_DIR = Path(os.environ.get("FIELDSYNC_DEMO_DATA_DIR", Path.cwd() / ".fieldsync-demo"))


def _secret_key() -> str:
    """A random key per data folder, kept there: never a key published in the code."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("FIELDSYNC_DEMO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "server_plugin",
    "server_plugin.demo.news",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "server_plugin.middleware.ActingUserMiddleware",
]

ROOT_URLCONF = "server_plugin.demo.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "server_plugin.demo.wsgi.application"

_database_url = os.environ.get("FIELDSYNC_DEMO_DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "central.sqlite3",
            "OPTIONS": {
                # One writer at a time, waiting instead of failing when busy.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

AUTH_PASSWORD_VALIDATORS = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Files (the photos' images) live in the data folder; the demo serves them itself.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FIELDSYNC = {
    "CHECKOUT_MODE": os.environ.get("FIELDSYNC_DEMO_CHECKOUT_MODE", "exclusive"),
    "CATEGORY_MODEL": "news.Section",
    "MODELS": {
        "news.Article": {
            "category": "section",
            "display_field": "title",
            "policy": os.environ.get("FIELDSYNC_DEMO_ARTICLE_POLICY", "client"),
        },
        "news.Photo": {"category": "article__section", "display_field": "caption"},
        "news.Tag": {"writable": True},
        "news.Author": {},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
