"""Shared plumbing below every app: domain errors and the one JSON error shape, policy.py (who may
see and do what), the screen gate and POST helper, upload parsing, normalisers. No models."""
