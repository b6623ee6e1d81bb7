"""A reviewer's day: hearing of new work, claiming it, and what the applicant is told meanwhile."""
