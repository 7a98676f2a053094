"""Signals by which core tells the layers above it what happened (core imports none of them)."""
from django.dispatch import Signal

# A screen refused a signed-in user by role or capability (403) before the view ran.
# Arguments: request, view (its qualified name). The audit app records it as a refusal.
screen_refused = Signal()

# A session passed its idle or absolute limit; sent just before it is logged out, so a layer
# above can keep what the request carried (victims keeps the intake input, ADR 0049).
# Arguments: request, user.
session_timed_out = Signal()
