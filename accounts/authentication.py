from rest_framework import authentication, exceptions

from .models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; keys are looked up by hash and can be revoked."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="ignore").lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("トークンの形式が正しくありません。")
        raw = header[1].decode(errors="ignore")
        token = (
            ApiToken.objects.select_related("staff", "staff__department")
            .filter(key_hash=ApiToken.hash_key(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.staff.is_active:
            raise exceptions.AuthenticationFailed("トークンが無効です。")
        return token.staff, token

    def authenticate_header(self, request):
        return self.keyword
