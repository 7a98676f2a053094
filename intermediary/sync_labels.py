"""Japanese for the sync monitor: the flag kinds (flag_kinds.LABELS) and the error codes an
operation can fail with, each with what the system admin should do. The codes are those the
channels (channels.SendResult), the sweep (STUCK, NORESULT) and the intermediate server's
result files (E…) produce; an unknown code is shown as it is, with the general advice."""
from dataclasses import dataclass

from .flag_kinds import LABELS as FLAG_LABELS


@dataclass(frozen=True)
class ErrorLabel:
    name: str
    todo: str


_SERVER_UNAVAILABLE = ErrorLabel("中間サーバー利用不可",
                                 "中間サーバーの稼働状況を確認してください。復旧後は自動で再送します。")
ERRORS = {
    "TIMEOUT": ErrorLabel("応答なし（反映済みの可能性あり）",
                          "自動で同じ操作IDで再送します（二重には反映されません）。続く場合は回線と中間サーバーを確認してください。"),
    "UNREACHABLE": ErrorLabel("中間サーバーに接続できません",
                              "ネットワークと中間サーバーの稼働を確認してください。復旧後は自動で再送します。"),
    "HTTP401": ErrorLabel("中間サーバーの認証に失敗",
                          "共有シークレット（INTERMEDIARY_WS_SECRET）の設定を確認してください。"),
    "BADRESPONSE": ErrorLabel("応答を解釈できません", "中間サーバーの版と接続先の設定を確認してください。"),
    "STUCK": ErrorLabel("処理中のまま停止",
                        "自動で再送します。繰り返す場合は同期処理（ワーカー）の稼働を確認してください。"),
    "NORESULT": ErrorLabel("結果ファイル未着",
                           "自動で再送します。中間サーバーの結果ファイルの取込み設定を確認してください。"),
    "E010": ErrorLabel("レコードの内容に誤り", "単位（宛名番号）とフラグの内容を確認し、修正後に再試行してください。"),
    "E400": ErrorLabel("要求の形式に誤り", "連携の設定を確認してください。"),
    "E100": ErrorLabel("ファイルの内容に誤り", "XML一括ファイルを確認してください（再送されます）。"),
}
_UNKNOWN = ErrorLabel("中間サーバーからのエラー", "中間サーバーの運用窓口にエラーコードを伝えて確認してください。")


def error_label(code: str) -> ErrorLabel:
    if code.startswith("HTTP5"):
        return _SERVER_UNAVAILABLE
    return ERRORS.get(code, _UNKNOWN)


def flag_label(kind: str) -> str:
    return FLAG_LABELS.get(kind, kind)
