"""The two flags of the intermediate server (DOMAIN.md §4): the one definition of their
codes, used by the models, the windows, the rules, the emulator and the API schema."""

NO_AUTO_RESPONSE = "NO_AUTO_RESPONSE"  # 自動応答不可フラグ
NONDISCLOSURE = "NONDISCLOSURE"  # 不開示該当フラグ
FLAG_KINDS = (NO_AUTO_RESPONSE, NONDISCLOSURE)
LABELS = {NO_AUTO_RESPONSE: "自動応答不可フラグ", NONDISCLOSURE: "不開示該当フラグ"}
