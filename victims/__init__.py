"""The Target aggregate and its orchestration: intake, decisions, release, grants, procedure
confirmations, notices, review tasks, 追記 requests, the 住基 push. Its selectors scope and audit
every read of victim data; its services lock the target and call flags and intermediary."""
