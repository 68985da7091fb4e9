class DomainError(Exception):
    """A rule of the domain refused the request. The message tells a person what to do about it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
