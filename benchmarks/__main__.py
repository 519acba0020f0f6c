"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import pages


def main() -> None:
    pages.run()


if __name__ == "__main__":
    main()
