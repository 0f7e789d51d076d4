"""The daily reports and the reports made on demand: built, stored, rendered, scheduled, emailed.

Building (a language-neutral snapshot stored in Report.data):

- making.py: make a report of a kind and store it (or its failure);
- morning.py: the morning press digest; evening.py: the evening public-opinion report;
  on_demand.py: one topic, one case or a date range;
- common.py: what the builders share (limits, the input error, references to cases and units);
  clusters.py: grouping headlines by shared phrases (pure);
- access.py: who reads which reports.

Rendering (a stored report, in Vietnamese or English):

- view.py: the translated sections of a report, drawn by sections.py (shared),
  morning_sections.py, evening_sections.py and on_demand_sections.py; labels.py: their labels;
- html.py, pdf.py, xlsx.py: the three outputs; documents.py: downloads (formats, file names).

Around them: views.py (pages), api.py (/api/v1/reports), schemas.py, tasks.py (the schedules,
subscriptions and emails) and cli.py (`flask reports`).
"""
