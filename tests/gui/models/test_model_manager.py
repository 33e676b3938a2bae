"""The model manager and download dialogs on real files, the real core and a stand-in Hugging Face Hub."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QDialog

from gpt2_studio.core.models.catalog import CATALOG
from gpt2_studio.core.models.downloads import DownloadPlan, DownloadProgress, RemoteFile
from gpt2_studio.core.models.memory import format_bytes
from gpt2_studio.core.models.store import (
    PARTIAL_DIR,
    import_checkpoint,
    installed_folder,
    list_installed,
    models_root,
)
from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
from gpt2_studio.gui.models import download_worker
from gpt2_studio.gui.models import manager as model_manager
from gpt2_studio.gui.models.download_dialog import CANCELLED_TEXT, DownloadDialog
from gpt2_studio.gui.models.manager import COLUMNS, ModelManagerDialog
from tests.gui.conftest import ScriptedQuestions
from tests.hub_stand_in import HubStandIn, serve_tiny_gpt2

FREE_RAM = 2_000_000_000  # gpt2 and distilgpt2 fit, the bigger ones do not
WEIGHTS = "model.safetensors"


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> dict[str, int | None]:
    """A computer with FREE_RAM free and no GPU, unless a test says otherwise."""
    memory: dict[str, int | None] = {"ram": FREE_RAM, "vram": None}
    monkeypatch.setattr(model_manager, "free_ram_bytes", lambda: memory["ram"])
    monkeypatch.setattr(model_manager, "free_vram_bytes", lambda: memory["vram"])
    return memory


@pytest.fixture
def make_manager(qtbot, machine):
    """Build shown manager dialogs answering questions from a ScriptedQuestions; closed after the test."""

    def make(current: str | None = None, **options) -> ModelManagerDialog:
        manager = ModelManagerDialog(current, questions=ScriptedQuestions(), **options)
        qtbot.addWidget(manager)
        manager.show()
        return manager

    return make


@pytest.fixture
def hub(hub_stand_in: HubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HubStandIn:
    """The stand-in hub serving a tiny GPT-2 as openai-community/gpt2, reached through HF_ENDPOINT."""
    serve_tiny_gpt2(hub_stand_in, tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return hub_stand_in


@pytest.fixture(scope="session")
def larger_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6.6 MB GPT-2: its weights arrive in several of huggingface_hub's 1 MB chunks."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("larger") / "gpt2", n_embd=256, n_head=4)


@pytest.fixture
def slow_hub(
    hub_stand_in: HubStandIn,
    larger_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> HubStandIn:
    """The stand-in hub serving the larger GPT-2 as openai-community/gpt2, its weights at 2 MB/s."""
    hub_stand_in.add_repo("openai-community/gpt2", larger_checkpoint)
    hub_stand_in.throttle(2_000_000, WEIGHTS)
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return hub_stand_in


def wait_until_mid_weights(qtbot, progress: list, weights_size: int) -> None:
    """Wait for the first report from inside model.safetensors, and check it is not the file's end."""
    qtbot.waitUntil(lambda: any(p.file == WEIGHTS for p in progress), timeout=30_000)
    before = max(p.done_bytes for p in progress if p.file != WEIGHTS)
    first = next(p for p in progress if p.file == WEIGHTS)
    assert before < first.done_bytes < before + weights_size


def cell(manager: ModelManagerDialog, name: str, column: str) -> str:
    names = [manager.table.item(index, 0).text() for index in range(manager.table.rowCount())]
    return manager.table.item(names.index(name), COLUMNS.index(column)).text()


def listed(manager: ModelManagerDialog) -> list[str]:
    return [manager.table.item(index, 0).text() for index in range(manager.table.rowCount())]


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_catalog_is_listed_with_sizes_and_fit_verdicts(make_manager):
    manager = make_manager()
    assert manager.windowTitle() == "Model Manager"  # what README and Help call it
    assert listed(manager) == [entry.name for entry in CATALOG]
    verdicts = set()
    for entry in CATALOG:
        assert cell(manager, entry.name, "Size") == f"{format_bytes(entry.download_bytes)} download"
        assert cell(manager, entry.name, "RAM needed") == format_bytes(entry.cpu_memory_bytes())
        expected = "fits" if entry.cpu_memory_bytes() <= FREE_RAM else "too big"
        assert cell(manager, entry.name, "Fits") == expected
        assert cell(manager, entry.name, "Status") == "Not downloaded"
        assert cell(manager, entry.name, "Source") == entry.repo_id
        verdicts.add(expected)
    assert verdicts == {"fits", "too big"}
    assert cell(manager, "gpt2", "Size") == "548 MB download"
    assert cell(manager, "gpt2", "Parameters") == "124M"
    assert cell(manager, "gpt2-xl", "Parameters") == "1.56B"
    assert manager.table.isColumnHidden(COLUMNS.index("GPU memory"))
    assert "no CUDA GPU" in manager.memory_label.text()


def test_cuda_is_offered_only_with_a_gpu_and_the_device_choice_is_emitted(make_manager, machine):
    manager = make_manager(device="cpu")
    combo = manager.device_combo
    assert combo.currentData() == "cpu"
    assert not combo.model().item(combo.findData("cuda")).isEnabled()
    chosen: list[str] = []
    manager.device_chosen.connect(chosen.append)
    combo.setCurrentIndex(combo.findData("auto"))
    assert chosen == ["auto"]

    machine["vram"] = 1_500_000_000
    manager.refresh()
    assert combo.model().item(combo.findData("cuda")).isEnabled()
    assert not manager.table.isColumnHidden(COLUMNS.index("GPU memory"))
    for entry in CATALOG:
        gpu = "fits" if entry.gpu_memory_bytes() <= 1_500_000_000 else "too big"
        cpu = "fits" if entry.cpu_memory_bytes() <= FREE_RAM else "too big"
        assert cell(manager, entry.name, "Fits") == f"CPU: {cpu} · GPU: {gpu}"
        assert cell(manager, entry.name, "GPU memory") == format_bytes(entry.gpu_memory_bytes())


def test_an_imported_model_is_listed_as_installed_and_use_chooses_it(make_manager, tiny_copy, qtbot):
    model = import_checkpoint(tiny_copy, "my-finetune")
    manager = make_manager()
    assert listed(manager)[-1] == "my-finetune"
    assert cell(manager, "my-finetune", "Status") == "Installed"
    assert cell(manager, "my-finetune", "Size") == format_bytes(model.size_bytes)
    assert cell(manager, "my-finetune", "Source") == str(tiny_copy.resolve())
    assert cell(manager, "my-finetune", "Fits") == "fits"
    manager.select("my-finetune")
    assert not manager.download_button.isEnabled()
    chosen: list[str] = []
    manager.model_chosen.connect(chosen.append)
    click(qtbot, manager.use_button)
    assert chosen == ["my-finetune"]
    assert manager.result() == QDialog.DialogCode.Accepted
    assert not manager.isVisible()


def test_an_installed_catalog_model_shows_its_size_on_disk_and_a_missing_one_cannot_be_used(
    make_manager, tiny_copy
):
    model = import_checkpoint(tiny_copy, "gpt2")
    manager = make_manager()
    assert listed(manager) == [entry.name for entry in CATALOG]
    assert cell(manager, "gpt2", "Status") == "Installed"
    assert cell(manager, "gpt2", "Size") == format_bytes(model.size_bytes)
    manager.select("gpt2")
    assert manager.use_button.isEnabled()
    assert not manager.download_button.isEnabled()
    manager.select("gpt2-medium")
    assert not manager.use_button.isEnabled()
    assert not manager.delete_button.isEnabled()
    assert manager.download_button.isEnabled()


def test_the_current_model_is_marked_selected_and_cannot_be_deleted(make_manager, tiny_copy):
    import_checkpoint(tiny_copy, "mine")
    manager = make_manager(current="mine")
    assert cell(manager, "mine", "Status") == "Installed · in use"
    assert manager.selected_name() == "mine"
    assert manager.table.item(listed(manager).index("mine"), 0).font().bold()
    assert not manager.delete_button.isEnabled()
    by_repo_id = make_manager(current="openai-community/gpt2")
    assert cell(by_repo_id, "gpt2", "Status") == "Not downloaded · in use"
    by_folder = make_manager(current=str(installed_folder("mine")))
    assert cell(by_folder, "mine", "Status") == "Installed · in use"
    elsewhere = make_manager(current=str(tiny_copy))
    assert "In use: " + str(tiny_copy) in elsewhere.memory_label.text()


def test_a_damaged_installed_model_says_why_and_cannot_be_used(make_manager, tiny_copy):
    model = import_checkpoint(tiny_copy, "broken")
    weights = model.folder / WEIGHTS
    weights.write_bytes(weights.read_bytes()[:1000])
    manager = make_manager()
    assert cell(manager, "broken", "Status") == "Damaged"
    status = manager.table.item(listed(manager).index("broken"), COLUMNS.index("Status"))
    assert "truncated" in status.toolTip()
    manager.select("broken")
    assert not manager.use_button.isEnabled()
    assert manager.delete_button.isEnabled()


def test_delete_asks_first_then_removes_the_files(make_manager, tiny_copy, qtbot):
    import_checkpoint(tiny_copy, "old-model")
    manager = make_manager()
    manager.select("old-model")
    manager.questions.answer("ask_delete_model", False)
    click(qtbot, manager.delete_button)
    assert installed_folder("old-model") is not None
    assert "old-model" in listed(manager)
    manager.questions.answer("ask_delete_model", True)
    click(qtbot, manager.delete_button)
    assert [question for question, _args in manager.questions.asked] == ["ask_delete_model"] * 2
    assert manager.questions.asked[-1][1] == ("old-model",)
    assert installed_folder("old-model") is None
    assert "old-model" not in listed(manager)


def test_importing_a_valid_folder_lists_and_selects_it(make_manager, tiny_copy, qtbot):
    manager = make_manager()
    manager.questions.answer("model_folder", str(tiny_copy))
    click(qtbot, manager.import_button)
    assert [model.name for model in list_installed()] == [tiny_copy.name]
    assert cell(manager, tiny_copy.name, "Status") == "Installed"
    assert manager.selected_name() == tiny_copy.name
    assert manager.use_button.isEnabled()


def test_importing_a_pickle_only_folder_explains_why_and_lists_nothing(make_manager, tiny_copy, qtbot):
    (tiny_copy / "model.safetensors").rename(tiny_copy / "pytorch_model.bin")
    manager = make_manager()
    manager.questions.answer("model_folder", str(tiny_copy))
    manager.questions.answer("error", None)
    click(qtbot, manager.import_button)
    question, (title, message) = manager.questions.asked[-1]
    assert question == "error"
    assert "pickle" in message
    assert list_installed() == []
    assert listed(manager) == [entry.name for entry in CATALOG]


def test_cancelling_the_folder_question_imports_nothing(make_manager, qtbot):
    manager = make_manager()
    manager.questions.answer("model_folder", "")
    click(qtbot, manager.import_button)
    assert list_installed() == []


def test_first_start_explains_and_preselects_gpt2_with_download_as_default(make_manager):
    manager = make_manager(first_start=True)
    assert manager.intro.isVisible()
    assert "GPT-2 (124M, 548 MB) is a good start" in manager.intro.text()
    assert manager.selected_name() == "gpt2"
    assert manager.download_button.isDefault()
    assert manager.download_button.isEnabled()
    assert not make_manager().intro.isVisible()


def test_open_folder_shows_the_models_folder_or_the_model_own(make_manager, tiny_copy, qtbot):
    import_checkpoint(tiny_copy, "here")
    manager = make_manager()
    opened: list[QUrl] = []
    manager.open_url = lambda url: opened.append(url) or True
    assert manager.folder_url("here") == QUrl.fromLocalFile(str(installed_folder("here")))
    assert manager.folder_url("gpt2-xl").toLocalFile() == str(installed_folder("here").parent)
    manager.select("here")
    click(qtbot, manager.open_button)
    assert opened == [manager.folder_url("here")]


# -- downloads ---------------------------------------------------------------------------------------


@pytest.fixture
def make_download(qtbot):
    """A shown DownloadDialog, closed (so cancelled and joined) after the test."""

    def make(name: str = "gpt2", **options) -> DownloadDialog:
        dialog = DownloadDialog(name, **options)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return make


def test_a_download_fails_clearly_while_downloads_are_off_and_offers_retry(make_download, qtbot):
    dialog = make_download()  # tests/conftest.py sets HF_HUB_OFFLINE=1
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=10_000)
    assert "HF_HUB_OFFLINE" in dialog.status_label.text()
    assert dialog.retry_button.isVisible()
    assert not dialog.cancel_button.isVisible()
    assert not dialog.is_running()


def test_progress_is_coalesced_to_about_ten_updates_a_second(make_download, qtbot, monkeypatch, tmp_path):
    reports = 2_000

    def plan(name: str, *, token: str | None = None) -> DownloadPlan:
        return DownloadPlan(name, "openai-community/gpt2", "abc", (RemoteFile(WEIGHTS, reports, None, None),))

    def download(plan: DownloadPlan, *, token, progress, cancel) -> Path:
        for done in range(1, reports + 1):  # as fast as a fast connection with small chunks
            progress(DownloadProgress(WEIGHTS, done, reports, 1e6, 0.0))
            time.sleep(0.0003)
        return tmp_path

    monkeypatch.setattr(download_worker, "plan_download", plan)
    monkeypatch.setattr(download_worker, "download_model", download)
    dialog = make_download()
    shown, times = [], []
    dialog.progress_changed.connect(lambda progress: (shown.append(progress), times.append(time.monotonic())))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=10_000)
    assert shown[-1].done_bytes == reports  # the last report is never lost
    assert 3 <= len(shown) < 30
    throttled = times[:-1]  # the last one is the flush when the download ends
    gaps = [later - earlier for earlier, later in zip(throttled, throttled[1:], strict=False)]
    assert min(gaps) >= 0.09
    assert dialog.bytes_label.text() == f"{format_bytes(reports)} of {format_bytes(reports)}"


def test_a_full_download_reports_progress_and_installs_the_model(make_manager, hub, qtbot):
    manager = make_manager()
    manager.select("gpt2")
    manager.token_edit.setText("  ")  # blank: no token sent
    click(qtbot, manager.download_button)
    dialog = manager.download_dialog
    progress, downloaded = [], []
    dialog.progress_changed.connect(progress.append)
    dialog.downloaded.connect(lambda name, folder: downloaded.append((name, folder)))
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=30_000)
    assert downloaded == [("gpt2", str(installed_folder("gpt2")))]
    assert not dialog.isVisible()
    assert progress
    assert progress[-1].done_bytes == progress[-1].total_bytes == dialog.plan.total_bytes
    assert [p.done_bytes for p in progress] == sorted(p.done_bytes for p in progress)
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    assert "openai-community/gpt2" in dialog.title_label.text()
    assert cell(manager, "gpt2", "Status") == "Installed"
    assert manager.selected_name() == "gpt2"
    assert manager.use_button.isDefault()
    assert manager.isVisible()  # not a first start: the user picks what to do next
    assert {"pytorch_model.bin", "onnx/model.onnx"}.isdisjoint(hub.fetched_files())


def test_on_first_start_the_downloaded_model_is_used_at_once(make_manager, hub, qtbot):
    manager = make_manager(first_start=True)
    chosen: list[str] = []
    manager.model_chosen.connect(chosen.append)
    click(qtbot, manager.download_button)
    qtbot.waitUntil(lambda: chosen == ["gpt2"], timeout=30_000)
    assert manager.result() == QDialog.DialogCode.Accepted
    assert installed_folder("gpt2") is not None


def test_cancel_stops_mid_file_keeps_fetched_files_and_retry_completes(
    make_download, slow_hub, larger_checkpoint, qtbot
):
    weights_size = (larger_checkpoint / WEIGHTS).stat().st_size
    dialog = make_download()
    progress = []
    dialog.progress_changed.connect(progress.append)
    dialog.start()
    wait_until_mid_weights(qtbot, progress, weights_size)
    click(qtbot, dialog.cancel_button)
    assert dialog.status_label.text() == "Cancelling…"
    assert not dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.state == "cancelled", timeout=10_000)
    assert not dialog.is_running()
    before = max(p.done_bytes for p in progress if p.file != WEIGHTS)
    assert progress[-1].done_bytes < before + weights_size  # stopped inside the file
    assert dialog.status_label.text() == CANCELLED_TEXT
    assert dialog.retry_button.isVisible()
    assert not dialog.cancel_button.isVisible()
    assert installed_folder("gpt2") is None
    assert list_installed() == []

    slow_hub.throttle(None, WEIGHTS)
    click(qtbot, dialog.retry_button)
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=30_000)
    assert installed_folder("gpt2") is not None
    # The files verified before the cancel were not fetched again.
    assert slow_hub.fetched_files().count("generation_config.json") == 1


def test_a_corrupted_file_shows_the_checksum_error(make_download, hub, qtbot):
    hub.corrupt(WEIGHTS)
    dialog = make_download()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=30_000)
    assert "model.safetensors arrived damaged" in dialog.status_label.text()
    assert "checksum" in dialog.status_label.text()
    assert dialog.retry_button.isVisible()
    assert installed_folder("gpt2") is None


def test_closing_the_dialog_mid_download_cancels_and_waits_for_the_thread(
    make_download, slow_hub, larger_checkpoint, qtbot
):
    dialog = make_download()
    progress = []
    dialog.progress_changed.connect(progress.append)
    dialog.start()
    wait_until_mid_weights(qtbot, progress, (larger_checkpoint / WEIGHTS).stat().st_size)
    dialog.close()
    assert not dialog.is_running()
    assert not dialog.isVisible()
    assert dialog.state == "cancelled"
    assert installed_folder("gpt2") is None


def test_closing_the_manager_closes_a_download_in_progress(make_manager, slow_hub, qtbot):
    manager = make_manager()
    manager.select("gpt2")
    click(qtbot, manager.download_button)
    dialog = manager.download_dialog
    qtbot.waitUntil(lambda: dialog.file_label.text() == WEIGHTS, timeout=30_000)
    manager.close()
    assert not dialog.is_running()
    assert not dialog.isVisible()
    assert installed_folder("gpt2") is None


def test_the_dialog_opens_over_hostile_folders_and_says_what_is_wrong(make_manager, tiny_copy):
    import os
    import shutil

    from gpt2_studio import paths

    root = paths.models_dir()
    root.mkdir(parents=True, exist_ok=True)
    problems = {
        "deep": ("config.json", "nested more than"),
        "loop": ("config.json", "loops back on itself"),
        "pipe": ("model.safetensors", "named pipe"),
        "huge": ("config.json", "invalid n_layer"),
        "gpt2": ("model.safetensors", "has no weights"),
    }
    for name in problems:
        shutil.copytree(tiny_copy, root / name)
    (root / "deep" / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (root / "loop" / "config.json").unlink()
    (root / "loop" / "config.json").symlink_to(root / "loop" / "config.json")
    (root / "pipe" / "model.safetensors").unlink()
    os.mkfifo(root / "pipe" / "model.safetensors")
    config = (root / "huge" / "config.json").read_text().replace('"n_layer": 2', '"n_layer": 1000000000')
    (root / "huge" / "config.json").write_text(config)
    (root / "gpt2" / "model.safetensors").unlink()  # a half-finished catalog model
    shutil.copytree(tiny_copy, root / os.fsdecode(b"caf\xe9"))
    started = time.monotonic()
    manager = make_manager()
    assert time.monotonic() - started < 10
    for name, (_file, problem) in problems.items():
        assert cell(manager, name, "Status") == "Damaged", name
        status = manager.table.item(listed(manager).index(name), COLUMNS.index("Status"))
        assert problem in status.toolTip(), (name, status.toolTip())
    assert cell(manager, "caf\ufffd", "Status") == "Damaged"
    manager.select("gpt2")
    assert not manager.use_button.isEnabled()


def test_a_busy_hub_is_reported_as_it_answered_and_retry_resumes(make_download, hub, qtbot):
    hub.fail(f"/{WEIGHTS}", 429, method="GET", times=1)
    dialog = make_download()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=30_000)
    text = dialog.status_label.text()
    assert (
        text == "The hub answered 429 Too Many Requests for model.safetensors: wait a minute and try again."
    )
    assert dialog.retry_button.isVisible()
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=30_000)
    assert installed_folder("gpt2") is not None


def test_a_cancelled_download_resumes_the_weights_where_it_stopped(make_download, slow_hub, qtbot):
    dialog = make_download()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=30_000)
    weights = next(f for f in dialog.plan.files if f.name == WEIGHTS)
    partial = models_root() / PARTIAL_DIR / "gpt2" / f"{WEIGHTS}.incomplete"
    qtbot.waitUntil(lambda: partial.exists() and partial.stat().st_size > 500_000, timeout=30_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.state == "cancelled", timeout=30_000)
    saved = partial.stat().st_size
    assert 0 < saved < weights.size
    slow_hub.clear_faults()
    dialog.retry_button.click()
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=30_000)
    assert slow_hub.range_requests(WEIGHTS)[-1] == f"bytes={saved}-"
