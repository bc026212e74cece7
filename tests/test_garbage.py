"""The cycle collector runs on the Qt thread only (desktop/ui/garbage.py): a worker thread
that allocates never collects a cycle holding Qt objects."""

from __future__ import annotations

import gc
import threading

import pytest

pytestmark = pytest.mark.gui


def test_cycles_are_collected_on_the_qt_thread_not_on_a_worker(qapp, qtbot) -> None:
    from PySide6.QtCore import QObject

    from desktop.ui.garbage import QtThreadGarbageCollector, collect_on_qt_thread

    collector = collect_on_qt_thread(qapp)
    assert collect_on_qt_thread(qapp) is collector  # one per application
    assert isinstance(collector, QtThreadGarbageCollector) and not gc.isenabled()
    destroyed_on: list[str] = []

    class Holder(QObject):
        def __del__(self) -> None:
            destroyed_on.append(threading.current_thread().name)

    holder = Holder()
    holder.me = holder  # a cycle: only the collector can free it
    del holder
    kept: list = []
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(5000)),
                              name="worker")
    worker.start()
    worker.join()
    assert gc.get_count()[0] > gc.get_threshold()[0]  # past the threshold, on the worker
    assert destroyed_on == []  # ... which collected nothing
    qtbot.waitUntil(lambda: destroyed_on == [threading.main_thread().name], timeout=5000)
