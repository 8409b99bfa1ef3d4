"""Fixtures for the package tests: keys and a fixed clock (helpers live in package/forge.py)."""

from __future__ import annotations

import pytest

from package.forge import NOW

from pregon.package import generate


@pytest.fixture(scope="session")
def key():
    return generate()


@pytest.fixture(scope="session")
def other_key():
    return generate()


@pytest.fixture
def now():
    return NOW
