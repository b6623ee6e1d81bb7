"""The applicants' personal data: how long it is kept, what an applicant can take away, and who looked.

Rejected and withdrawn requests lose their personal data PERSONAL_DATA_RETENTION_DAYS after they
closed; a licence keeps its record until it ended (expired or revoked) plus the same period. The
reference, dataset, dates, statuses and the events stay, so statistics and the audit trail still hold.
"""
