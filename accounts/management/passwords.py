"""Passwords for the operator commands: never an argument (it would sit in the shell history
and in `ps` for everyone on the host), but typed at a prompt or piped in on stdin."""
import getpass
import sys

from django.core.management.base import CommandError

MIN_LENGTH = 12


def read_password(*, from_stdin: bool, prompt: str = "パスワード: ") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise CommandError("端末がありません。パスワードは --password-stdin で標準入力から渡してください。")
        password = getpass.getpass(prompt)
        if getpass.getpass("確認のためもう一度: ") != password:
            raise CommandError("2回入力したパスワードが一致しません。")
    if len(password) < MIN_LENGTH:
        raise CommandError(f"パスワードは{MIN_LENGTH}文字以上にしてください。")
    return password
