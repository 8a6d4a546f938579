"""The session editor's panels, each a class in its own file, joined by Qt signals in
:class:`needlelog.ui.session_editor.SessionEditor` (docs/ARCHITECTURE.md, "The session editor's panels").

- ``safety_panel.py`` — :class:`SafetyPanel`, consent and the precautions acknowledged, before the first needle
- ``sites.py`` — :class:`SitesPanel`, the sites table (one ``site_row.SiteRow`` a site) and the dwell timers
- ``body_chart_panel.py`` — :class:`BodyChartPanel`, the figure, cautions, keyboard placing, quick-picks
- ``needle_ledger.py`` — :class:`NeedleLedgerPanel`, needles in and out, the sharps container
- ``visit_facts.py`` — :class:`VisitFacts`, times, condition, technique, pain, reactions, aftercare, notes
- ``draft_keeper.py`` — :class:`DraftKeeper`, autosave, Save now, the conflict bar, the save state line
- ``sign_problems.py`` — :class:`ProblemsList`, what stops signing, and the Sign button
- ``amendments.py`` — :class:`AmendmentsPanel`, amendments under a signed note
- ``printed_note.py`` — :class:`PrintedNote`, the visit note as a PDF
- ``draft_discarder.py`` — :class:`DraftDiscarder`, Discard draft… (kept in the file, hidden from the chart)
"""
