"""What the gunicorn benchmarks share: a throw-away database, its data, a server on a free port, a client.

Nothing here is part of the product: the bench-only settings (settings.py) add the bare views
(urls.py) that pages are measured against, and nothing under requests_app/ or accessportal/
knows about them.
"""
