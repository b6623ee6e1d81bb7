"""Tells the bench when a gunicorn worker has loaded the application (and so is ready for its first request).

Only a signal for the bench: the server's behaviour is bin/serve's command line. Each worker,
once accessportal.wsgi is imported in it, leaves a file named after its pid in BENCH_READY_DIR.
"""

import os
from pathlib import Path


def post_worker_init(worker):
    Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()
