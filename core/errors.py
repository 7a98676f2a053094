"""Domain errors raised by services and selectors; views and the API map them to responses."""


class DomainError(Exception):
    """Bad input or a rule that forbids the action; `field` names the input at fault."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Absent, or present but not visible to the actor: the caller cannot tell which."""

    status = 404

    def __init__(self, message: str = "対象が見つかりません。"):
        super().__init__(message)


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    """Several fields at fault at once: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("入力内容に誤りがあります。")
        self.errors = errors


class TooManyRequests(DomainError):
    """A caller's own limit (a running job, a daily quota): 429, the request may be sent later."""

    status = 429
