"""Power-list import: a 10,000-item, 20-column workbook with 30,000 steps.

Prints the time of a dry run and of a real import (SQLite), each next to the time
openpyxl alone needs to read the same file (read-only mode, every value), and the
peak memory of each (separate processes, so one run's memory does not hide another's).
Goal (issue 3): ratio ≤ 2.0 and peak memory ≤ 300 MB.
"""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

ITEMS = 10_000
STEPS_PER_ITEM = 3
ROUNDS = 3
HEADERS = [
    "序号",
    "权力编码",
    "权力名称",
    "权力类型",
    "上级编码",
    "实施依据",
    "实施主体",
    "承办机构",
    "法定期限",
    "承诺期限",
    "收费依据及标准",
    "监督电话",
    "责任事项",
    "追责情形",
    "办理地点",
    "办理时间",
    "申请材料",
    "网上办理",
    "备注",
    "更新日期",
]
CATEGORIES = ["行政许可", "行政处罚", "行政检查", "行政确认", "公共服务"]


def generate(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("权力清单")
    ws.append(["示范市权力清单（基准测试）"])
    ws.append(HEADERS)
    for i in range(ITEMS):
        code = f"QL-{i:06d}"
        ws.append(
            [
                i + 1,
                code,
                f"事项{i}：某类行政许可的名称较长一些",
                CATEGORIES[i % 5],
                None,
                "《中华人民共和国行政许可法》第二十九条\n《某某管理条例》第十二条",
                "示范市某局",
                "审批科",
                "20个工作日",
                "10个工作日",
                "不收费" if i % 3 else "按每件50元收取",
                "0571-88001234",
                "受理责任\n审查责任\n决定责任",
                "违反法定程序的",
                "市民中心3楼",
                "工作日9:00-17:00",
                "申请书；营业执照",
                "是",
                "",
                "2026-03-01",
            ]
        )
    steps = wb.create_sheet("办理环节")
    steps.append(["权力编码", "环节序号", "环节名称", "办理时限", "承办岗位"])
    for i in range(ITEMS):
        for seq, (name, limit) in enumerate(
            (("受理", "1个工作日"), ("审查", "5个工作日"), ("决定", "2个工作日")), 1
        ):
            steps.append([f"QL-{i:06d}", seq, name, limit, "窗口"])
    wb.save(path)


def _openpyxl_alone(path: str) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        ws.reset_dimensions()
        for _row in ws.iter_rows(values_only=True):
            pass
    wb.close()
    return time.perf_counter() - start


def _import(path: str, dry_run: bool) -> float:
    from powerlists.columns import utcnow
    from powerlists.departments import DepartmentInput, add_department
    from powerlists.importer import import_file
    from tracker.db import import_models, make_engine, session_factory, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        import_models()
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        with session_factory(engine)() as db:
            department = add_department(db, DepartmentInput("bench", "基准局"))
            db.commit()
            start = time.perf_counter()
            result = import_file(
                db,
                department.id,
                Path(path),
                source_name="bench.xlsx",  # type: ignore[arg-type]
                effective=date(2026, 1, 1),
                imported_by_id=None,
                now=utcnow(),
                dry_run=dry_run,
            )
            db.commit()
            elapsed = time.perf_counter() - start
        assert result.report.ok, result.report.errors[:3]
        assert len(result.report.items) == ITEMS and result.report.step_count == ITEMS * STEPS_PER_ITEM
        engine.dispose()
    return elapsed


def _measure(queue: multiprocessing.Queue, kind: str, path: str) -> None:  # type: ignore[type-arg]
    seconds = _openpyxl_alone(path) if kind == "openpyxl" else _import(path, dry_run=kind == "dry run")
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _run(kind: str, path: Path) -> tuple[float, float]:
    """Median seconds and the largest peak RSS (MB) over ROUNDS fresh processes."""
    context = multiprocessing.get_context("spawn")
    times, peaks = [], []
    for _ in range(ROUNDS):
        queue = context.Queue()
        process = context.Process(target=_measure, args=(queue, kind, str(path)))
        process.start()
        seconds, peak = queue.get()
        process.join()
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        generate(path)
        size = path.stat().st_size / 1e6
        baseline, baseline_mb = _run("openpyxl", path)
        print(
            f"power-list import: {ITEMS:,} items × {len(HEADERS)} columns + {ITEMS * STEPS_PER_ITEM:,} steps "
            f"({size:.1f} MB xlsx), median of {ROUNDS}"
        )
        print(
            f"  {'openpyxl read-only (baseline)':<32} {baseline:6.2f} s  1.00x   peak {baseline_mb:5.0f} MB"
        )
        for kind in ("dry run", "import"):
            seconds, peak = _run(kind, path)
            verdict = "ok" if seconds / baseline <= 2.0 and peak <= 300 else "OVER GOAL"
            print(
                f"  {kind:<32} {seconds:6.2f} s  {seconds / baseline:.2f}x   peak {peak:5.0f} MB   "
                f"(goal ≤ 2.00x, ≤ 300 MB: {verdict})"
            )
