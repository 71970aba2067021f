class ApplicationError(Exception):
    """A business rule said no. Pages show `message` to the user; the API maps it to 400.

    `field` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
