"""Deployment helpers: the runtime lock writer (lock_hashes.py) and the image's gunicorn settings."""
