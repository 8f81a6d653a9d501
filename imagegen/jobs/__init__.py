"""Jobs: recorded, admitted against the limits (the ledger), queued fairly, leased, run and ended."""
