"""The state synced with the 自治体中間サーバー: desired vs reflected FlagState, the outbox of
Operations, channels (web service, XML batch), windows, results, reconciliation and the emulator.
`services.desired_flags_apply` is the one entry point from an approved change to the outbox."""
