"""What the browser tests need on the machine: Debian's Chromium and axe-core from npm."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
NO_CHROMIUM = "BROWSER TESTS SKIPPED: chromium not installed (apt-get install chromium)"
# Installed by `npm ci --prefix tests/browser` (`make test` runs it when node_modules is missing).
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
