"""An applicant's request: the apply form, drafts, submission, correction, withdrawal and the request page."""
