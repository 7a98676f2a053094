"""The inquiry-time answer "does this inquiry or manual provision need 不開示コード?": single and
bulk checks and the お知らせ recipient-file filter, from one protection rule. One model: the
slots of running bulk jobs (no personal data)."""
