"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import demo_large, flag_scan, ingest, pages, powerlist_import


def main() -> None:
    pages.run()
    powerlist_import.run()
    ingest.run()
    flag_scan.run()
    demo_large.run()


if __name__ == "__main__":
    main()
