"""The reviewers' side: the queue, the decision page, exports. Only a dataset's reviewers get in."""
