"""The audit log: append-only, hash-chained events of every read and change, the one vocabulary of
actions (actions.py), refusals that outlive a rollback, verification and anchors, the auditors' screens."""
