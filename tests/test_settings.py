"""Configuration behaviour: each case starts a fresh Python process with a controlled environment,
because settings are read once, at import."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Variables the settings read; every case starts with none of them set.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "REDIS_URL",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests; a deploy check rightly refuses it
)

READ_SETTINGS = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(variables)
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    return run(["manage.py", *args], **variables)


def read_settings(*names: str, **variables: str) -> dict:
    result = run(["-c", READ_SETTINGS, *names], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("debug", [None, "false"], ids=["DEBUG unset", "DEBUG=false"])
def test_without_debug_the_app_refuses_to_start_without_a_secret_key(debug):
    variables = {"DEBUG": debug} if debug else {}

    result = manage("check", **variables)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_with_debug_the_app_starts_without_a_secret_key():
    result = manage("check", DEBUG="true")

    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="waypoint.example",
        SITE_URL="https://waypoint.example",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_the_default_database_is_a_sqlite_file_in_the_project_folder():
    databases = read_settings("DATABASES", DEBUG="true")["DATABASES"]

    assert databases["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(databases["default"]["NAME"]) == PROJECT_ROOT / "waypoint.sqlite3"


def test_without_redis_tasks_go_to_a_worker_through_a_broker_folder():
    values = read_settings(
        "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS",
        DEBUG="true",
    )  # fmt: skip

    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    folder = PROJECT_ROOT / "var" / "broker"
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(folder)
    assert folder.is_dir()


def test_the_embedded_sqlite_database_lets_a_worker_and_the_web_server_write_in_turn():
    options = read_settings("DATABASES", DEBUG="true")["DATABASES"]["default"]["OPTIONS"]

    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_with_redis_celery_tasks_go_to_the_broker():
    url = "redis://127.0.0.1:6379/15"

    values = read_settings(
        "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", DEBUG="true", REDIS_URL=url
    )

    assert values == {"CELERY_TASK_ALWAYS_EAGER": False, "CELERY_BROKER_URL": url}


def test_the_default_email_backend_is_the_console():
    values = read_settings("EMAIL_BACKEND", DEBUG="true")

    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_an_smtp_email_url_configures_the_smtp_backend():
    values = read_settings(
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        DEBUG="true",
        EMAIL_URL="smtp://mail.example:2525",
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example",
        "EMAIL_PORT": 2525,
    }
