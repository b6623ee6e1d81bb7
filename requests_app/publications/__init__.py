"""Papers licensees report as using a dataset, and the owner's list of them."""
