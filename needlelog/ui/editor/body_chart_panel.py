"""The body chart panel: the figure (:class:`needlelog.ui.widgets.body_chart.BodyChart`), its message line,
the lung-field and recent-surgery cautions, the keyboard path (a region and a side from lists), the
twitch buttons and the muscle quick-picks of the selected site.

It says what the user asked for (a marker placed, moved, deleted; a twitch; a muscle) and draws what
it is told; the sites panel decides what that means for the sites.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from needlelog.domain.figure import Figure, anchor_points, lung_field_site
from needlelog.domain.model import Patient, TreatmentSession, TriggerPoint
from needlelog.domain.vocab import MUSCLES, BodyRegion, FigureView, Precaution, Side, TwitchResponse
from needlelog.ui.widgets.body_chart import BodyChart
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.fields import CAUTION_STYLE, CodeCombo, set_inputs_enabled

QUICK_PICKS = 6
NO_REGION = "No body region there: tap on the figure, or choose the region from the lists below."
CHART_WIDTH = (270, 440)  # the body chart's column, narrowest and widest (pixels)
TWITCH_KEYS = ((TwitchResponse.NONE, "N"), (TwitchResponse.WEAK, "W"), (TwitchResponse.STRONG, "S"))
# Where a marker is to go: the region and side, and the trigger point(s) on the figure.
Placement = tuple[BodyRegion, Side, tuple[TriggerPoint, ...]]


class BodyChartPanel(QGroupBox):
    """The "Body chart" column beside the sites."""

    place_requested = Signal(object, object, object, bool)  # a Placement, and whether it adds to the selected site
    marker_moved = Signal(int, int, object, object)  # site, point, TriggerPoint, (region, side) under it or None
    marker_deleted = Signal(int, int)  # site, point
    site_clicked = Signal(int)  # a marker of this site was selected on the figure
    twitch_marked = Signal(object)  # TwitchResponse for the selected site
    muscle_picked = Signal(int)  # the n-th quick-pick muscle for the selected site
    lung_site_added = Signal()  # a site entered the lung field: the breathing aftercare is due
    missed = Signal()  # a tap on no region: the selection is cleared, so a quick pick cannot reach an old site

    def __init__(self, figure: Figure, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__("Body chart", parent)
        self.figure = figure
        self.patient = patient
        self.read_only = False
        self._lung_sites: frozenset[int] = frozenset()
        self._picks_for: tuple[int | None, BodyRegion | None] = (None, None)
        layout = QVBoxLayout(self)
        self.chart = BodyChart(figure)
        self.chart.setMinimumSize(260, 300)
        self.chart.placed.connect(self._tapped)
        self.chart.moved.connect(self.move_marker)
        self.chart.deleted.connect(self.marker_deleted)
        self.chart.selected.connect(lambda site, _point: self.site_clicked.emit(site))
        self.chart.missed.connect(self._missed)
        layout.addWidget(self.chart)
        # What a tap is followed by comes first, within reach on a 768-pixel screen without scrolling: the
        # twitch (a fixed row) and the muscle quick-picks (as many as the region has). Then the words, which
        # appear and go (so they sit below every button a click may aim at), and the keyboard's own path.
        layout.addLayout(self._build_twitch_buttons())
        self.picks_title = QLabel("Muscle quick-picks (Ctrl+1 to Ctrl+6)")
        named(self.picks_title, "quickPicksTitle", "Muscle quick-picks")
        layout.addWidget(self.picks_title)
        layout.addLayout(self._build_quick_picks())
        self.message = self._note("chartMessage", "Body chart message")
        layout.addWidget(self.message)
        self.lung_caution = self._note("lungCaution", "Lung-field caution", CAUTION_STYLE)
        layout.addWidget(self.lung_caution)
        self.surgery_caution = self._note("surgeryCaution", "Recent surgery caution", CAUTION_STYLE)
        layout.addWidget(self.surgery_caution)
        layout.addLayout(self._build_keyboard_path())
        layout.addStretch(1)
        self.setFixedWidth(CHART_WIDTH[0])

    @staticmethod
    def _note(object_name: str, accessible: str, style: str = "") -> QLabel:
        label = QLabel("")
        label.setWordWrap(True)
        if style:
            label.setStyleSheet(style)
        named(label, object_name, accessible)
        label.hide()
        return label

    def _build_keyboard_path(self) -> QHBoxLayout:
        """A region and a side from lists, the marker at the region's middle."""
        keys = QHBoxLayout()
        self.place_region = CodeCombo(list(BodyRegion), "region…")
        named(self.place_region, "placeRegion", "Region to place", "Region for a marker placed from the keyboard")
        self.place_side = CodeCombo(list(Side), "side…")
        named(self.place_side, "placeSide", "Side to place", "Side for a marker placed from the keyboard")
        self.place_button = QPushButton("Place (Alt+M)")
        named(self.place_button, "placeMarker", "Place a marker", "Place a marker on the chosen region (Alt+M)")
        self.place_button.setMinimumHeight(30)
        self.place_button.clicked.connect(self._place_clicked)
        for combo, letters in ((self.place_region, 5), (self.place_side, 3)):  # beside Place in 270 pixels
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(letters)
        keys.addWidget(self.place_region, 2)
        keys.addWidget(self.place_side, 1)
        keys.addWidget(self.place_button)
        return keys

    def _build_twitch_buttons(self) -> QHBoxLayout:
        """The twitch of the selected site in one key, whatever field has the focus."""
        twitch = QHBoxLayout()
        self.twitch_title = QLabel("Twitch:")
        twitch.addWidget(self.twitch_title)
        self.twitch_picks: dict[TwitchResponse, QPushButton] = {}
        for response, key in TWITCH_KEYS:
            button = QPushButton(response.label)
            named(
                button,
                f"twitch_{response.value}",
                f"Twitch {response.label.lower()}",
                f"The selected site's twitch response: {response.label.lower()} (Alt+{key})",
            )
            button.setMinimumHeight(30)
            button.clicked.connect(lambda _=False, r=response: self.twitch_marked.emit(r))
            twitch.addWidget(button)
            self.twitch_picks[response] = button
        return twitch

    def _build_quick_picks(self) -> QGridLayout:
        picks = self.picks_grid = QGridLayout()
        self.quick_picks: list[QPushButton] = []
        for i in range(QUICK_PICKS):
            button = QPushButton("")
            named(button, f"quickMuscle{i + 1}", f"Quick-pick muscle {i + 1}")
            button.setMinimumHeight(30)
            button.clicked.connect(lambda _=False, i=i: self.muscle_picked.emit(i))
            button.hide()
            picks.addWidget(button, i // 2, i % 2)
            self.quick_picks.append(button)
        return picks

    def bind_keys(self, window: QWidget) -> None:
        """Window-wide keys: Alt+M places from the lists, Alt+N/W/S mark the twitch, Ctrl+1-6 pick a muscle."""
        QShortcut(QKeySequence("Alt+M"), window, activated=self.place_button.click)
        for response, key in TWITCH_KEYS:
            QShortcut(QKeySequence(f"Alt+{key}"), window, activated=self.twitch_picks[response].click)
        for i in range(QUICK_PICKS):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), window, activated=lambda i=i: self.muscle_picked.emit(i))

    # --- what the user asks for ----------------------------------------------------------
    def _tapped(self, view: FigureView, x: float, y: float, add: bool) -> None:
        placement = self.placement_at(view, x, y)
        if placement is not None:
            self.place_requested.emit(*placement, add)
        else:
            self.missed.emit()

    def _missed(self) -> None:
        self.say(NO_REGION)
        self.missed.emit()

    def _place_clicked(self) -> None:
        placement = self.placement_from_lists()
        if placement is not None:
            self.place_requested.emit(*placement, False)

    def placement_at(self, view: FigureView, x: float, y: float) -> Placement | None:
        """A tap on the figure: the region and side under it, and the marker there (None off the figure)."""
        hit = self.figure.region_at(view, x, y)
        if hit is None:
            self.say(NO_REGION)
            return None
        region, side = hit
        return region, side, (TriggerPoint(view, round(x, 4), round(y, 4)),)

    def placement_from_lists(self) -> Placement | None:
        """The keyboard path: the region and side chosen from lists, the marker at the region's middle."""
        region, side = self.place_region.code(), self.place_side.code()
        if not isinstance(region, BodyRegion) or not isinstance(side, Side):
            self.say("Choose a region and a side, then Place.")
            (self.place_region if region is None else self.place_side).setFocus()
            return None
        return region, side, anchor_points(region, side, self.figure)

    def move_marker(self, site: int, point: int, moved: TriggerPoint) -> None:
        """A marker dragged (or moved with the arrow keys), with the region it now lies on."""
        self.marker_moved.emit(site, point, moved, self.figure.region_at(moved.view, moved.x, moved.y))

    # --- what it is told -----------------------------------------------------------------
    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_selection(self, markers: list[tuple[TriggerPoint, ...]], site: int | None, point: int | None) -> None:
        self.chart.set_markers(markers)
        self.chart.select(site, point)

    def keep_selected(self, site: int, point: int) -> None:
        self.chart.selection = (site, point)

    def show_quick_picks(self, site: int | None, region: BodyRegion | None) -> None:
        """The selected site's twitch buttons, and the muscles of its region (none on a read-only note)."""
        self._picks_for = (site, region)
        muscles = list(MUSCLES[region]) if isinstance(region, BodyRegion) else []
        self.picks_title.setVisible(bool(muscles) and not self.read_only)
        for widget in (self.twitch_title, *self.twitch_picks.values()):
            widget.setVisible(site is not None and not self.read_only)
        for i, button in enumerate(self.quick_picks):
            if i < len(muscles) and not self.read_only:
                button.setText(muscles[i])
                button.setToolTip(f"Site {(site or 0) + 1}: {muscles[i]} (Ctrl+{i + 1})")
                button.show()
            else:
                button.hide()
        self._lay_out_picks()

    def _lay_out_picks(self) -> None:
        """Two to a row; a name too long for half the column ("thoracic erector spinae") has a row of its own,
        whole, never cut. The order stays that of Ctrl+1 to Ctrl+6."""
        half = (CHART_WIDTH[0] - 2 * self.picks_grid.spacing() - 24) // 2
        row = column = 0
        for button in self.quick_picks:
            self.picks_grid.removeWidget(button)
        for button in self.quick_picks:
            if button.isHidden():
                continue
            wide = button.fontMetrics().horizontalAdvance(button.text()) + 16 > half
            if column == 1 and wide:
                row, column = row + 1, 0
            self.picks_grid.addWidget(button, row, column, 1, 2 if wide else 1)
            row, column = (row + 1, 0) if wide or column == 1 else (row, 1)

    def accept_charted(self, session: TreatmentSession) -> None:
        """What was charted is not new: loading a note never ticks the breathing aftercare by itself."""
        self._lung_sites = frozenset(i for i, site in enumerate(session.sites) if lung_field_site(site, self.figure))

    def show_sites(self, content: TreatmentSession) -> None:
        """The markers, the lung-field caution (a new lung site asks for its aftercare once) and recent surgery."""
        self.chart.set_markers([site.trigger_points for site in content.sites])
        lung = frozenset(i for i, site in enumerate(content.sites) if lung_field_site(site, self.figure))
        if lung:
            numbers = ("site " if len(lung) == 1 else "sites ") + ", ".join(str(i + 1) for i in sorted(lung))
            # Screening: lung disease or a low body mass raises the risk (the pleura can lie nearer the skin).
            more = (
                " Screening: lung disease or low body mass — the lung may lie nearer than usual."
                if Precaution.LUNG_DISEASE_LOW_MASS in self.patient.screening.positive
                else ""
            )
            self.lung_caution.setText(
                f"⚠ Lung field — {numbers}: a needle here can reach the lung (pneumothorax risk).{more} "
                "Aftercare: seek care at once for shortness of breath or chest pain."
            )
        self.lung_caution.setVisible(bool(lung))
        new = lung - self._lung_sites
        self._lung_sites = lung
        if new and not content.is_signed:
            # Ticking it is the panel's suggestion; unticking it is the clinician's call
            # (and signing will ask for it back).
            self.lung_site_added.emit()
        self._show_surgery_caution(content)

    def _show_surgery_caution(self, content: TreatmentSession) -> None:
        screening = self.patient.screening
        surgery = screening.surgery_region
        operated = [
            i + 1
            for i, site in enumerate(content.sites)
            if Precaution.RECENT_SURGERY in screening.positive and site.region is surgery
        ]
        if operated and surgery is not None:
            numbers = ", ".join(map(str, operated))
            self.surgery_caution.setText(
                f"⚠ Recent surgery in the {surgery.label.lower()} region — site {numbers} is there."
            )
        self.surgery_caution.setVisible(bool(operated))

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        set_inputs_enabled(self, not read_only)
        self.place_button.setEnabled(not read_only)
        self.chart.set_read_only(read_only)
        self.show_quick_picks(*self._picks_for)

    def fit_to(self, window_width: int) -> None:
        """The chart takes a fifth of the width, within bounds: the sites need the rest on a small screen."""
        low, high = CHART_WIDTH
        width = min(max(int(window_width * 0.2), low), high)
        if self.width() != width:
            self.setFixedWidth(width)
