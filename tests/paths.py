"""Where the tests find the project and their data files, wherever a test module sits."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
LAGPER_TOML = ROOT / "datasets" / "lagper.toml"
