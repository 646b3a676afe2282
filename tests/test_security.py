"""Security basics (issue 2, part 9): headers and CSP, production settings, lock-out, idle expiry,
the second factor per role, sanitised Markdown and upload checks.

Production settings are checked in a subprocess: the test run itself uses enlets.test_settings,
and settings are read once per process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from markdown_it import MarkdownIt

from enlets.core import markdown as md
from enlets.core.errors import InvalidInput
from enlets.core.models import AuditEvent
from enlets.core.uploads import check_upload
from enlets.network.models import Role
from tests.factories import TEST_PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent


# --- helpers ---------------------------------------------------------------------------------------


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process: no ENLETS_* switch of the test run leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENLETS_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="enlets.settings",
        ENLETS_SECRET_KEY=secrets.token_urlsafe(64),
        ENLETS_HTTPS="1",
        ENLETS_ALLOWED_HOSTS="hub.example.eu",
        ENLETS_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETTINGS_PROBE = """
import json, django
from django.conf import settings
django.setup()
names = {names!r}
def plain(v):
    return sorted(v) if isinstance(v, (set, frozenset)) else v
print(json.dumps({{n: plain(getattr(settings, n)) for n in names}}, default=str))
"""


def production_settings(tmp_path: Path, names: list[str], **extra: str) -> dict[str, Any]:
    result = run(["-c", SETTINGS_PROBE.format(names=names)], production_env(tmp_path, **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth keeps its failure counters in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


# --- response headers --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_the_security_headers(client, signed_in):
    if signed_in:
        client.force_login(UserFactory())
        response = client.get(reverse("dashboard"))
    else:
        response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"

    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    # No outside host anywhere: every source is 'self', 'none' or data: (images only).
    for directive, sources in csp.items():
        for source in sources:
            assert source in {"'self'", "'none'"} or (directive == "img-src" and source == "data:"), (
                f"{directive} allows {source}"
            )


def assert_no_inline_code_or_outside_resources(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"<style\b", html, flags=re.IGNORECASE), "inline <style>"
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", html, flags=re.IGNORECASE), "style= attribute"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, flags=re.IGNORECASE), "inline event handler"
    # Resources the browser would fetch by itself (links a person clicks may go anywhere).
    outside = r"<[a-z][^>]*\s(src|srcset|poster|data)=[\"']?(https?:)?//"
    assert not re.search(outside, html, flags=re.IGNORECASE), "outside resource"
    assert not re.search(r"<link\b[^>]*href=[\"']?(https?:)?//", html, flags=re.IGNORECASE), "outside stylesheet"


# Pages checked for inline code: (URL name, needs the sample document's pk).
SIGNED_IN_PAGES = [
    ("dashboard", False),
    ("documents:list", False),
    ("documents:create", False),
    ("documents:detail", True),
    ("documents:edit", True),
    ("network:people", False),
    ("core:audit", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_login", "account_reset_password"])
def test_public_pages_have_no_inline_script_or_style(client, name):
    """The CSP would block them anyway; this says which template is wrong."""
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert_no_inline_code_or_outside_resources(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "with_item"), SIGNED_IN_PAGES)
def test_signed_in_pages_have_no_inline_script_or_style(client, name, with_item):
    from enlets.core.models import TLP
    from tests.factories import make_document

    admin = UserFactory(role=Role.ADMINISTRATOR)  # may open the audit browser too
    document = make_document(
        admin,
        tlp=TLP.GREEN,
        body='A [link](https://example.org) and <img src="https://evil.example/x.png" onerror="alert(1)">',
    )
    client.force_login(admin)
    response = client.get(reverse(name, args=[document.pk] if with_item else []))
    assert response.status_code == 200
    assert_no_inline_code_or_outside_resources(response.content.decode())


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only_and_same_site(client):
    user = UserFactory(second_factor=False, role=Role.EXTERNAL_PARTNER)
    client.get(reverse("account_login"))
    response = client.post(reverse("account_login"), {"login": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    csrf_cookie = client.cookies["csrftoken"]
    assert csrf_cookie["httponly"]


# --- production settings -------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "ERRORS" not in output
    assert "no issues" in output


def test_check_deploy_notices_a_weak_setting(tmp_path):
    """The clean check above means something: turning HTTPS off is reported."""
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path, ENLETS_HTTPS="0")
    )
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr  # SESSION_COOKIE_SECURE


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["ENLETS_SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ENLETS_SECRET_KEY" in result.stderr


def test_production_defaults_are_secure(tmp_path):
    names = [
        "DEBUG",
        "DEMO_MODE",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "X_FRAME_OPTIONS",
        "SECURE_PROXY_SSL_HEADER",
        "ALLOWED_HOSTS",
    ]
    env = production_env(tmp_path)
    del env["ENLETS_HTTPS"]  # HTTPS is the default outside development, demo and tests
    result = run(["-c", SETTINGS_PROBE.format(names=names)], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["DEMO_MODE"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    # X-Forwarded-Proto is trusted only when the operator says a proxy sets it.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["ALLOWED_HOSTS"] == ["hub.example.eu"]


def test_behind_proxy_trusts_forwarded_proto(tmp_path):
    names = ["SECURE_PROXY_SSL_HEADER", "ALLAUTH_TRUSTED_PROXY_COUNT"]
    values = production_settings(tmp_path, names, ENLETS_BEHIND_PROXY="1")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1


def test_sign_in_limits_behind_a_proxy_count_the_client_not_the_proxy(rf, settings):
    """Without the trusted-proxy count every sign-in would share the proxy's address."""
    from allauth.core.internal.httpkit import get_client_ip

    request = rf.post("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert get_client_ip(request) == "10.0.0.2"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert get_client_ip(request) == "203.0.113.7"
    # A client that sends its own X-Forwarded-For cannot choose its address: the proxy's entry is last.
    spoofed = rf.post("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert get_client_ip(spoofed) == "203.0.113.7"


# --- lock-out ----------------------------------------------------------------------------------------------


def _sign_in(client: Client, login: str, password: str):
    return client.post(reverse("account_login"), {"login": login, "password": password})


@pytest.mark.django_db
def test_right_password_signs_in_before_any_failure(client):
    user = UserFactory()
    response = _sign_in(client, user.username, TEST_PASSWORD)
    # The password is accepted; a person with TOTP goes on to the second-factor step.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


@pytest.mark.django_db
def test_lock_out_after_repeated_failures(client, settings):
    user = UserFactory()
    limit = settings.LOGIN_FAILURE_LIMIT
    assert limit >= 1
    for _ in range(limit):
        response = _sign_in(client, user.username, "not the password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    failures = AuditEvent.objects.filter(action="auth.login_failed", object_repr=user.username)
    assert failures.count() == limit
    assert failures.first().changes == {"attempted": user.username}
    assert "not the password" not in json.dumps(list(failures.values("changes", "object_repr")))

    # Now even the right password is refused, with a message, and no second-factor step starts.
    response = _sign_in(client, user.username, TEST_PASSWORD)
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="auth.login", actor=user).exists()
    # The refusal itself is on the audit trail (allauth refuses before Django authenticates).
    assert AuditEvent.objects.filter(action="auth.locked_out", object_repr=user.username).count() == 1


@pytest.mark.django_db
def test_lock_out_is_per_account(client, settings):
    locked, other = UserFactory(), UserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(client, locked.username, "wrong")
    response = _sign_in(client, other.username, TEST_PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_one_failure_less_than_the_limit_still_lets_the_right_password_in(client, settings):
    user = UserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _sign_in(client, user.username, "wrong")
    response = _sign_in(client, user.username, TEST_PASSWORD)
    assert response.status_code == 302


def test_lock_out_limit_comes_from_the_environment(tmp_path):
    values = production_settings(
        tmp_path,
        ["LOGIN_FAILURE_LIMIT", "ACCOUNT_RATE_LIMITS"],
        ENLETS_LOGIN_FAILURE_LIMIT="3",
        ENLETS_LOGIN_FAILURE_WINDOW_SECONDS="600",
    )
    assert values["LOGIN_FAILURE_LIMIT"] == 3
    assert values["ACCOUNT_RATE_LIMITS"]["login_failed"] == "10/m/ip,3/600s/key"


# --- idle session expiry -----------------------------------------------------------------------------------


def test_idle_expiry_comes_from_the_environment(tmp_path):
    names = ["SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST", "SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert production_settings(tmp_path, names)["SESSION_COOKIE_AGE"] == 30 * 60
    values = production_settings(tmp_path, names, ENLETS_SESSION_IDLE_SECONDS="600")
    assert values == {
        "SESSION_COOKIE_AGE": 600,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
    }


@pytest.mark.django_db
def test_every_request_renews_the_session_and_an_idle_one_ends(client, settings):
    settings.SESSION_COOKIE_AGE = 600
    client.force_login(UserFactory())
    session_key = client.session.session_key
    Session.objects.filter(pk=session_key).update(expire_date=timezone.now() + dt.timedelta(seconds=30))

    assert client.get(reverse("dashboard")).status_code == 200
    renewed = Session.objects.get(pk=session_key).expire_date
    assert renewed > timezone.now() + dt.timedelta(seconds=500)

    # Idle longer than the limit: the next request is sent to sign in again.
    Session.objects.filter(pk=session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- second factor per role --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.EXTERNAL_PARTNER])
def test_role_that_requires_a_second_factor_is_sent_to_set_one_up(client, role):
    client.force_login(UserFactory(role=role, second_factor=False))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_after_signing_in_without_a_second_factor_only_the_set_up_page_opens(client):
    user = UserFactory(role=Role.MEMBER, second_factor=False)
    response = _sign_in(client, user.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password once more before a second factor is added (reauthentication).
    page = client.get(reverse("mfa_activate_totp"), follow=True)
    if page.redirect_chain and reverse("account_reauthenticate") in page.redirect_chain[-1][0]:
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert b"otpauth://" in page.content or b"secret" in page.content.lower()
    assert client.get(reverse("documents:list"))["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_external_partner_is_not_forced_by_default(client):
    client.force_login(UserFactory(role=Role.EXTERNAL_PARTNER, second_factor=False))
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_the_required_roles_are_configurable(client, settings):
    settings.MFA_REQUIRED_ROLES = {Role.EXTERNAL_PARTNER.value}
    client.force_login(UserFactory(role=Role.EXTERNAL_PARTNER, second_factor=False))
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_a_person_with_a_second_factor_goes_through(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    assert client.get(reverse("dashboard")).status_code == 200


# --- Markdown --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script src=https://evil.example/x.js></script>",
        "<img src=x onerror=alert(1)>",
        '<div style="position:fixed">cover</div>',
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_markdown_drops_raw_html(source):
    html = md.render(source)
    for tag in ("<script", "<img", "<div", "<iframe"):
        assert tag not in html
    # What remains is text: no element carries an attribute such as style= or onerror=.
    assert not re.search(r"<[a-z]+\s[^>]*=", html)


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
    ],
)
def test_markdown_refuses_dangerous_links(source):
    html = md.render(source)
    assert "<a" not in html
    assert 'href="javascript' not in html.lower()


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = md.render("# Title\n\n**bold** and [ENLETS](https://enlets.example/page)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://enlets.example/page" rel="noopener noreferrer nofollow">ENLETS</a>' in html
    assert "<table>" in html


def test_sanitiser_removes_html_even_if_the_parser_let_it_through(monkeypatch):
    """Defence in depth: nh3 cleans whatever markdown-it produces."""
    monkeypatch.setattr(md, "_parser", lambda: MarkdownIt("commonmark", {"html": True}))
    html = md.render('<p onclick="x()">hi</p>\n\n<script>alert(1)</script>\n\n<a href="javascript:alert(1)">a</a>')
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "hi" in html


# --- uploads ---------------------------------------------------------------------------------------------

PE_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF_EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", PE_EXECUTABLE),  # a Windows program renamed to look like a PDF
        ("notes.txt", ELF_EXECUTABLE),  # a Linux program renamed to look like text
        ("photo.png", b"\x00\x01\x02\x03binary junk\x00\xff\xfe"),
    ],
)
def test_upload_type_is_decided_by_content_not_name(name, content):
    with pytest.raises(InvalidInput) as caught:
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert caught.value.code == "file_type_refused"
    assert "PDF" in caught.value.message  # the message lists what is accepted
    assert "file" in caught.value.field_errors


def test_upload_accepts_a_pdf_whatever_its_name():
    checked = check_upload(SimpleUploadedFile("minutes.txt", PDF, content_type="text/plain"))
    assert checked.content_type == "application/pdf"
    assert checked.size == len(PDF)
    assert len(checked.sha256) == 64


def test_upload_takes_the_type_of_the_content_for_a_misnamed_text_file():
    checked = check_upload(SimpleUploadedFile("agenda.pdf", "Agenda: café, drones\n".encode(), "application/pdf"))
    assert checked.content_type == "text/plain"


def test_upload_over_the_limit_names_the_limit(settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    with pytest.raises(InvalidInput) as caught:
        check_upload(SimpleUploadedFile("big.pdf", PDF + b"\x00" * (1024 * 1024), "application/pdf"))
    assert caught.value.code == "file_too_large"
    assert "1 MB" in caught.value.message
    assert "1 MB" in caught.value.field_errors["file"][0]


def test_empty_upload_is_refused():
    with pytest.raises(InvalidInput) as caught:
        check_upload(SimpleUploadedFile("empty.pdf", b"", "application/pdf"))
    assert caught.value.code == "file_empty"


# --- tokens are stored hashed -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_token_secret_is_never_stored():
    from enlets.network.actions import authenticate_token, do_create_token
    from enlets.network.models import ApiToken

    user = UserFactory()
    token, secret = do_create_token(user, name="script", scope=ApiToken.Scope.READ)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in json.dumps(stored, default=str)
    assert stored["key_hash"] != secret and len(stored["key_hash"]) == 64
    assert authenticate_token(secret).pk == token.pk
    assert authenticate_token(secret + "x") is None
