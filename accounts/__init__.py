"""Departments, staff, login with two-factor authentication, API tokens, and the API's permission
classes (which ask core.policy). Knows nothing of targets."""
