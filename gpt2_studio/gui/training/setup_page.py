"""The dialog's first page: base model, the writer's files, a name, a budget, and the plan once checked."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.memory import format_bytes
from gpt2_studio.gui.training.events import PlanEvent
from gpt2_studio.gui.training.request import TrainingRequest
from gpt2_studio.gui.training.wording import duration_text

PRIVACY_LINE = (
    "Your files are read on this computer only: nothing is uploaded, and they are not changed. "
    "The new model is saved in your models folder."
)
DEFAULT_MINUTES = 20
DEFAULT_RANK = 8


def stopped_step(name: str) -> int | None:
    """The step a stopped run of ``name`` can resume from, or None when there is none."""
    try:
        from gpt2_studio.core.training.checkpoints import saved_step
        from gpt2_studio.core.training.plan import run_folder
    except ImportError:  # a build without the training core: then there are no runs either
        return None
    try:
        return saved_step(run_folder(name))
    except StudioError:
        return None


def installed_names() -> list[str]:
    """The whole models in the models folder, by name."""
    from gpt2_studio.core.models.store import list_installed

    try:
        return [model.name for model in list_installed()]
    except StudioError:
        return []


def name_problem(name: str, installed: list[str]) -> str:
    """Why ``name`` cannot be the new model's name, or ""."""
    from gpt2_studio.core.models.store import check_model_name

    if not name:
        return "Give the new model a name."
    try:
        check_model_name(name)
    except StudioError as exc:
        return str(exc)
    if name in installed:
        return f"A model named “{name}” is already installed: choose another name."
    return ""


def plan_html(plan: PlanEvent) -> str:
    """The plan as the page shows it: what is read, how it is split, what it will cost."""
    method = "full fine-tuning" if plan.lora_rank == 0 else f"LoRA, rank {plan.lora_rank}"
    rows = [
        (
            "Your writing",
            f"{plan.documents:,} document{'s' if plan.documents != 1 else ''}, {plan.corpus_tokens:,} tokens",
        ),
        (
            "Split",
            f"{plan.train_tokens:,} tokens to learn from, {plan.heldout_tokens:,} held out to measure "
            "progress (whole documents, never seen in training)",
        ),
        ("Training", f"{plan.steps:,} steps of {plan.block_size:,}-token blocks ({method})"),
        (
            "Estimate",
            f"{duration_text(plan.estimate_seconds)}, {format_bytes(plan.peak_memory_bytes)} of memory "
            f"at most, {format_bytes(plan.disk_bytes)} on disk",
        ),
    ]
    body = "".join(
        f"<tr><td valign='top'><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"


def _row(form: QFormLayout, label: str, field: QWidget) -> int:
    """Add a row whose field keeps its natural width; its index, to show or hide it."""
    box = QHBoxLayout()
    box.addWidget(field)
    box.addStretch(1)
    title = QLabel(label)
    title.setBuddy(field)  # the mnemonic focuses the field (a layout cannot be a buddy)
    form.addRow(title, box)
    return form.rowCount() - 1


class SetupPage(QWidget):
    """The form; ``changed`` whenever a setting changes (a plan made for the old ones is stale)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Teach a copy of a model to write like you: it reads your texts and learns their words, "
            "rhythm and habits. The model you start from is not changed."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.base = QComboBox()
        self.base.setObjectName("training-base")
        self.base.setToolTip("The installed model to start from: bigger learns better but trains slower")
        form.addRow("&Start from:", self.base)
        self.files = QListWidget()
        self.files.setObjectName("training-files")
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files.setMinimumHeight(70)
        self.files.setMaximumHeight(110)
        self.files.setToolTip("Files (.txt, .md, .docx, .odt) and folders of your writing; drop them here")
        files_box = QVBoxLayout()
        files_box.addWidget(self.files)
        buttons = QHBoxLayout()
        self.add_files_button = QPushButton("Add &Files…")
        self.add_folder_button = QPushButton("Add F&older…")
        self.remove_button = QPushButton("&Remove")
        for button in (self.add_files_button, self.add_folder_button, self.remove_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        files_box.addLayout(buttons)
        files_label = QLabel("Your &writing:")
        files_label.setBuddy(self.files)
        form.addRow(files_label, files_box)
        self.name = QLineEdit()
        self.name.setObjectName("training-name")
        self.name.setPlaceholderText("my-style")
        self.name.setToolTip("The new model's name in the model manager: letters, digits, '.', '_' or '-'")
        form.addRow("&Name:", self.name)
        self.budget = QSpinBox()
        self.budget.setObjectName("training-budget")
        self.budget.setRange(0, 1_000_000)
        self.budget.setSpecialValueText("Automatic")
        self.budget.setValue(0)
        self.budget.setGroupSeparatorShown(True)
        self.budget_unit = QComboBox()
        self.budget_unit.addItem("steps", "steps")
        self.budget_unit.addItem("minutes", "minutes")
        self.budget.setToolTip("Automatic: as many steps as two passes over your text take")
        self.budget_unit.setToolTip("Stop after this many optimizer steps, or after this much time")
        budget_row = QHBoxLayout()
        budget_row.addWidget(self.budget)
        budget_row.addWidget(self.budget_unit)
        budget_row.addStretch(1)
        budget_label = QLabel("&Budget:")
        budget_label.setBuddy(self.budget)
        form.addRow(budget_label, budget_row)
        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        form.addRow("", self.advanced_button)
        self.lora_rank = QSpinBox()
        self.lora_rank.setObjectName("training-lora-rank")
        self.lora_rank.setRange(0, 256)
        self.lora_rank.setValue(DEFAULT_RANK)
        self.lora_rank.setSpecialValueText("0 (full fine-tuning)")
        self.lora_rank.setToolTip(
            "LoRA trains small adapter matrices of this rank and merges them into the weights at the end: "
            "fast and light. 0 trains every weight (full fine-tuning): slower, needs more memory."
        )
        self.advanced_rows = [_row(form, "LoRA ran&k:", self.lora_rank)]
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setObjectName("training-learning-rate")
        self.learning_rate.setDecimals(6)
        self.learning_rate.setRange(0.0, 0.1)
        self.learning_rate.setSingleStep(0.00005)
        self.learning_rate.setValue(0.0)
        self.learning_rate.setSpecialValueText("Automatic")
        self.learning_rate.setToolTip("Automatic: the command's default for LoRA or full fine-tuning")
        self.advanced_rows.append(_row(form, "&Learning rate:", self.learning_rate))
        self._form = form
        self._toggle_advanced(False)
        layout.addLayout(form)
        self.name_note = QLabel()
        self.name_note.setObjectName("training-name-note")
        self.name_note.setWordWrap(True)
        self.name_note.setVisible(False)
        layout.addWidget(self.name_note)

        self.plan_label = QLabel()
        self.plan_label.setObjectName("training-plan")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.plan_label)
        self.skipped_label = QLabel()
        self.skipped_label.setWordWrap(True)
        layout.addWidget(self.skipped_label)
        self.skipped = QListWidget()
        self.skipped.setObjectName("training-skipped")
        self.skipped.setMaximumHeight(90)
        layout.addWidget(self.skipped)
        self.privacy = QLabel(PRIVACY_LINE)
        self.privacy.setObjectName("training-privacy")
        self.privacy.setWordWrap(True)
        layout.addWidget(self.privacy)
        layout.addStretch(1)
        self.show_plan(None)

        self.remove_button.clicked.connect(self._remove_selected)
        self.advanced_button.toggled.connect(self._toggle_advanced)
        self.base.currentIndexChanged.connect(self._base_changed)
        for signal in (
            self.name.textChanged,
            self.budget.valueChanged,
            self.budget_unit.currentIndexChanged,
            self.lora_rank.valueChanged,
            self.learning_rate.valueChanged,
        ):
            signal.connect(self._changed)
        self.budget_unit.currentIndexChanged.connect(self._unit_changed)
        self.files.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.files.selectedItems()))
        )
        self.remove_button.setEnabled(False)
        self.installed: list[str] = []
        self.reload_models(force=True)

    # -- the settings ---------------------------------------------------------------------------
    def reload_models(self, select: str | None = None, *, force: bool = False) -> None:
        """Fill the base-model list from the models folder, keeping (or making) a selection."""
        current = select or self.base.currentText()
        names = installed_names()
        if not force and names == self.installed and current == self.base.currentText():
            return  # nothing changed: a plan made for these settings still holds
        self.installed = names
        self.base.blockSignals(True)
        self.base.clear()
        self.base.addItems(self.installed)
        index = self.base.findText(current)
        self.base.setCurrentIndex(index if index >= 0 else 0 if self.installed else -1)
        self.base.blockSignals(False)
        self.base.setEnabled(bool(self.installed))
        if not self.installed:
            self.base.setPlaceholderText("No model installed: download one in File → Models…")
        self._changed()

    def add_paths(self, chosen: list[str]) -> None:
        """Add files or folders to the list (once each)."""
        present = set(self.paths())
        for path in chosen:
            if path and path not in present:
                present.add(path)
                item = QListWidgetItem(path)
                item.setToolTip(path)
                self.files.addItem(item)
        self._changed()

    def paths(self) -> list[str]:
        """The files and folders chosen, in order."""
        return [self.files.item(i).text() for i in range(self.files.count())]

    def request(self) -> TrainingRequest:
        """The settings as a request (check ``problem()`` first)."""
        minutes = self.budget_unit.currentData() == "minutes"
        rate = self.learning_rate.value()
        return TrainingRequest(
            base=self.base.currentText(),
            data=tuple(self.paths()),
            name=self.name.text().strip(),
            steps=None if minutes else self.budget.value() or None,
            minutes=float(self.budget.value()) if minutes else None,
            lora_rank=self.lora_rank.value(),
            learning_rate=rate if rate > 0 else None,
        )

    def problem(self) -> str:
        """What is missing or wrong before the files can be checked, or ""."""
        if self.stopped_run_exists():
            return ""  # resumed with the model, files and settings it started with
        if not self.installed:
            return "No model is installed to start from: download one in File → Models… first."
        if not self.paths():
            return "Add files or a folder of your writing."
        return name_problem(self.name.text().strip(), self.installed)

    def set_editable(self, editable: bool) -> None:
        """Lock the form while a command runs."""
        for widget in (
            self.base,
            self.files,
            self.add_files_button,
            self.add_folder_button,
            self.name,
            self.budget,
            self.budget_unit,
            self.lora_rank,
            self.learning_rate,
        ):
            widget.setEnabled(editable)
        self.base.setEnabled(editable and bool(self.installed))
        self.remove_button.setEnabled(editable and bool(self.files.selectedItems()))

    def stopped_run_exists(self) -> bool:
        """True when a stopped run of this name left a checkpoint to resume."""
        name = self.name.text().strip()
        return bool(name) and not name_problem(name, self.installed) and stopped_step(name) is not None

    # -- the plan -------------------------------------------------------------------------------
    def show_plan(self, plan: PlanEvent | None) -> None:
        """Show what the command will read and cost (None: not checked yet)."""
        if plan is None:
            self.plan_label.setText(
                "<i>Check reads your files and says how much text there is and what training will cost "
                "on this computer, before anything starts.</i>"
            )
            self.skipped_label.setVisible(False)
            self.skipped.setVisible(False)
            return
        self.plan_label.setText(plan_html(plan))
        self.skipped.clear()
        for skipped in plan.skipped:
            item = QListWidgetItem(f"{Path(skipped.path).name}: {skipped.reason}")
            item.setToolTip(skipped.path)
            self.skipped.addItem(item)
        count = len(plan.skipped)
        self.skipped_label.setText(f"<b>Left out</b> ({count} file{'s' if count != 1 else ''}):")
        self.skipped_label.setVisible(bool(count))
        self.skipped.setVisible(bool(count))

    # -- reactions ------------------------------------------------------------------------------
    def _changed(self) -> None:
        name = self.name.text().strip()
        note = ""
        if name:
            note = name_problem(name, self.installed)
            step = None if note else stopped_step(name)
            if step is not None:
                note = (
                    f"A run named “{name}” stopped at step {step:,}: Resume Training continues it with "
                    "the model, files and settings it started with (only a new budget applies); "
                    "Discard Run removes it."
                )
        self.name_note.setText(note)
        self.name_note.setVisible(bool(note))
        self.changed.emit()

    def _base_changed(self) -> None:
        self._changed()

    def _unit_changed(self) -> None:
        minutes = self.budget_unit.currentData() == "minutes"
        self.budget.setMinimum(1 if minutes else 0)  # steps: 0 is automatic
        self.budget.setValue(DEFAULT_MINUTES if minutes else 0)

    def _remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._changed()

    def _toggle_advanced(self, shown: bool) -> None:
        for row in self.advanced_rows:
            self._form.setRowVisible(row, shown)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
