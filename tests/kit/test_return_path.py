"""Only a path on this site is a place to return to after sign-in."""

from __future__ import annotations

import pytest

from alongside.kit.http import local_return_path


@pytest.mark.parametrize(
    "target",
    ["/review", "/clients/3?tab=measures", "/review?urgency=crisis#top", "/a/b%2Fc"],
)
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert local_return_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "review",
        "//evil.example/review",
        "///evil.example",
        "https://evil.example/review",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "/review\\..\\",
        "/review\nLocation: https://evil.example",
        "/review\r\n",
        "/re\tview",
        "/review\x00",
        "/review\x7f",
        "/login",
        "/login?next=/review",
        "/logout",
        "/" + "a" * 3000,
    ],
)
def test_anything_that_could_leave_the_site_is_refused(target: str | None) -> None:
    assert local_return_path(target) is None
