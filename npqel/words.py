"""Small helpers for writing numbers into sentences people read."""


def plural(n: int, word: str) -> str:
    """ "1 session", "3 sessions" (regular plurals only)."""
    return f"{n} {word}{'' if n == 1 else 's'}"
