"""Everything the portal tells people by email: the notification queue, the emails, the reminder sweeps."""
