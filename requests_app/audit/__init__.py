"""The audit trail's integrity: the per-request hash chain of RequestEvents, its verification and digests."""
