"""Trends over the collected posts: hot topics, spike alerts, sentiment share and the spread of a
topic from the press to social media, all read from hourly counts kept as posts change.

Which posts count: every post that triage did not mark *not relevant* (queries.counted_posts),
by the time it was posted; days are local days (app.core.time.ZONE_NAME).

The counts:

- hourly.py: the hourly and daily counts per dimension and key, kept by hooks on the collectors
  (posts stored), triage (readings) and cases (merges); hourly_reads.py reads them;
  hourly_rebuild.py recomputes them (`flask stats rebuild-hourly`);
- counting.py: what one post adds to the counts (pure);
- keywords.py: the keywords of a text (no Flask, no database); lexicon.py: the compounds learned.

What is read from them:

- hot_topics.py: cases and keywords whose volume rises above their usual one;
- spikes.py: the hourly spike check (SpikeAlert, notifications) and the alerts stored;
- queries.py: sentiment share and volume by channel over time;
- spread.py: press versus social media for a case or a topic;
- maths.py: time buckets, the spike baseline, rising keys, the date parameters (pure).

Around them: labels.py, access.py (who reads trends),
views.py (/stats/trends, /stats/spread), api.py (/api/v1/trends) and tasks.py (the hourly job).
"""
