"""Who may do what beyond the state machine: second factors for staff, conflicts of interest."""
