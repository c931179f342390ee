"""Plain exceptions of the runtime core; front ends (HTTP, CLI, Spark) turn them into their own answers."""

from __future__ import annotations


class RuntimeCoreError(Exception):
    """Root of every error the runtime raises on purpose."""


class ModelError(RuntimeCoreError):
    """A model file is missing, unreadable, breaks the contract or fails its golden self-test."""


class ExplanationUnavailable(RuntimeCoreError):
    """The model carries no explanation background (a file exported before explanations existed)."""
