"""Other municipal systems: their credentials (SystemClient) and the 住民記録 system's push of
住基DV等支援措置, parsed here and applied by victims.services."""
