"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import pages, powerlist_import


def main() -> None:
    pages.run()
    powerlist_import.run()


if __name__ == "__main__":
    main()
