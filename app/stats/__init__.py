"""Statistics, trends and the daily reports, all computed from the live data.

- handling.py: handling time per stage (receipt → verified / resolved / responded),
  backlog by age and volumes, from the stage times recorded off the timeline and SLA clocks;
- trends.py: hot topics, spike alerts and sentiment share; spread.py: press versus social media;
- reports.py: the morning press digest, the evening public-opinion report and on-demand reports,
  rendered to HTML, PDF and XLSX by render.py;
- charts.py and export.py: SVG charts (no CDN, also inside PDFs) and CSV/XLSX downloads.
"""
