"""The product's settings, production profile as given by the environment, plus the bench's bare views."""

import os

from accessportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.harness.urls"
if os.environ.get("BENCH_STATIC_ROOT"):  # collected for this run, so the manifest storage has its manifest
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
