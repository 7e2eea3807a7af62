"""Deployment entry points that run outside the gateway process (not part of the installed packages)."""
