"""torch's thread count: the CPUs other programs leave free (auto), or the user's number."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import torch

from gpt2_studio.core import settings as settings_module
from gpt2_studio.core.runner import threads
from gpt2_studio.core.runner.threads import (
    CoreMonitor,
    CpuReading,
    apply_threads,
    auto_threads,
    check_threads,
    others_busy,
    take_reading,
    usable_cpus,
)

BURN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end:\n    pass\n"


@pytest.mark.parametrize(
    ("usable", "busy", "expected"),
    [
        (2, 0.0, 2),  # a quiet machine: every CPU
        (2, 0.2, 2),  # a neighbour's occasional blips leave both CPUs usable
        (2, 0.3, 1),  # more than a quarter of a CPU taken: that CPU is not free
        (2, 1.0, 1),  # another program burning one core (the busy machine)
        (2, 2.5, 1),  # everything busy: still one thread, never zero
        (8, 3.1, 5),  # the fourth CPU is only a tenth busy: still free
        (8, 3.3, 4),
        (2, None, 2),  # unknown load counts as quiet
    ],
)
def test_auto_counts_the_cpus_other_programs_leave_free(usable, busy, expected):
    assert auto_threads(usable, busy) == expected


def test_auto_never_exceeds_the_ceiling_nor_goes_below_one():
    assert auto_threads(16, 0.0, ceiling=8) == 8  # torch's default: one per physical core
    assert auto_threads(4, 0.0, ceiling=0) == 1
    assert auto_threads(1, 5.0) == 1


def test_others_busy_leaves_out_this_process_own_cpu_time():
    before = CpuReading(wall=10.0, busy=100.0, own=5.0)
    after = CpuReading(wall=12.0, busy=104.0, own=7.0)  # 4 busy CPU-seconds, 2 of them ours
    assert others_busy(before, after) == pytest.approx(1.0)
    assert others_busy(after, after) == 0.0
    assert others_busy(before, CpuReading(wall=11.0, busy=100.5, own=6.0)) == 0.0  # never negative


def test_a_reading_comes_from_proc_stat_and_none_where_there_is_none(tmp_path):
    fake = tmp_path / "stat"
    fake.write_text("cpu  100 20 30 4000 50 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    reading = take_reading(fake)
    assert reading is not None
    ticks = threads.os.sysconf("SC_CLK_TCK")
    assert reading.busy == pytest.approx((100 + 20 + 30 + 6 + 7 + 8) / ticks)  # idle and iowait left out
    assert take_reading(tmp_path / "missing") is None
    (tmp_path / "garbage").write_bytes(b"\xff\xfe not a stat file\n")
    assert take_reading(tmp_path / "garbage") is None
    if sys.platform == "linux":
        assert take_reading() is not None


def test_usable_cpus_follows_the_affinity_mask():
    assert 1 <= usable_cpus() <= (threads.os.cpu_count() or 1)
    if hasattr(threads.os, "sched_getaffinity"):
        assert usable_cpus() <= len(threads.os.sched_getaffinity(0))


def test_a_users_number_wins_over_auto():
    monitor = CoreMonitor(usable=lambda: 2, ceiling=lambda: 2)
    assert monitor.choose(1) == 1
    assert monitor.choose(3) == 3  # more than the CPUs: the user's call
    assert monitor.choose(None) == 2  # nothing noted yet: counts as quiet


def test_requests_in_quick_succession_keep_the_last_choice():
    clock = {"wall": 0.0, "busy": 0.0}

    def reader() -> CpuReading:
        return CpuReading(wall=clock["wall"], busy=clock["busy"], own=0.0)

    monitor = CoreMonitor(reader=reader, usable=lambda: 2, ceiling=lambda: 2)
    monitor.note()
    clock.update(wall=1.0, busy=1.0)  # a neighbour burnt one CPU for a second
    assert monitor.choose(None) == 1
    for step in range(1, 20):  # then requests 10 ms apart: no interval of 0.25 s among the last readings
        clock.update(wall=1.0 + step * 0.01, busy=1.0)
        assert monitor.choose(None) == 1
    clock.update(wall=3.0, busy=1.0)  # the neighbour stopped; a pause long enough to judge
    assert monitor.choose(None) == 2


def test_check_threads_and_the_settings_file_agree_on_the_range():
    assert check_threads(None) is None
    assert check_threads(threads.MAX_THREADS) == threads.MAX_THREADS
    for bad in (0, -1, threads.MAX_THREADS + 1, 1.5, "2", True):
        with pytest.raises(ValueError, match="whole number"):
            check_threads(bad)
    assert settings_module.THREADS_RANGE == (1, threads.MAX_THREADS)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/stat")
def test_auto_picks_fewer_threads_while_another_process_burns_a_cpu():
    usable = usable_cpus()
    monitor = CoreMonitor(usable=lambda: usable, ceiling=lambda: usable)
    burner = subprocess.Popen([sys.executable, "-c", BURN])
    try:
        time.sleep(0.3)  # the child is up and burning
        monitor.note()
        time.sleep(0.8)
        chosen = monitor.choose(None)
        seen = monitor.last_busy_others
    finally:
        burner.kill()
        burner.wait()
    assert seen is not None
    assert seen >= 0.7  # the burner alone uses most of a CPU
    assert chosen <= max(1, usable - 1)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/stat")
def test_this_process_own_work_is_not_counted_as_a_neighbour():
    # Ours: a thread spinning for a second. Whatever the neighbours do, ours must not be among "others":
    # the machine's busy time grows by at least our own CPU time more than "others" says.
    monitor = CoreMonitor(usable=lambda: 2, ceiling=lambda: 2)
    first = take_reading()
    monitor.note()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        pass
    monitor.choose(None)
    last = take_reading()
    assert first is not None
    assert last is not None
    assert monitor.last_busy_others is not None
    machine = (last.busy - first.busy) / (last.wall - first.wall)
    own = (last.own - first.own) / (last.wall - first.wall)
    assert own > 0.1  # we ran (on a crowded machine we get less than a whole CPU)
    assert monitor.last_busy_others <= machine - own + 0.1


@pytest.fixture
def restore_torch_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_apply_threads_sets_the_calling_thread_only(restore_torch_threads):
    """torch (OpenMP) keeps the count per thread: the model's thread must set it itself."""
    main_before = torch.get_num_threads()
    seen: dict[str, object] = {}

    def on_worker() -> None:
        seen["changed"] = apply_threads(1)
        seen["again"] = apply_threads(1)
        seen["count"] = torch.get_num_threads()

    worker = threading.Thread(target=on_worker)
    worker.start()
    worker.join()
    assert seen == {"changed": main_before != 1, "again": False, "count": 1}
    assert torch.get_num_threads() == main_before
