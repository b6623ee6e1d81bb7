"""Who is really asking: the representative named on the form confirms by email, and the reviewer
sees the signals (confirmation, email domains, the signed-copy check, earlier requests) with reasons.

Nothing here bans anyone: many applicants cannot use institutional mail off campus. It shows.
"""
