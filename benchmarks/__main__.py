"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import demo_large, exports, flag_queue, flag_scan, ingest, pages, powerlist_import, scorecards


def main() -> None:
    pages.run()
    powerlist_import.run()
    ingest.run()
    flag_scan.run()
    flag_queue.run()
    exports.run()
    scorecards.run()
    demo_large.run()


if __name__ == "__main__":
    main()
