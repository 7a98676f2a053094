"""Flag changes: the ChangeRequest state machine (set / release, four eyes) and the pure rules from
case types to measures (rules.py). Handed targets by victims; never imports victims."""
