"""Models for this app arrive with its issue (see docs/ARCHITECTURE.md)."""
