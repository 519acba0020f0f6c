"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import ingest, pages, powerlist_import


def main() -> None:
    pages.run()
    powerlist_import.run()
    ingest.run()


if __name__ == "__main__":
    main()
