"""surge report: JMeter's HTML dashboard computed from results files with DuckDB.

Pipeline: ``load`` (files -> DuckDB table ``samples``) -> ``stats`` (tables, in the JSON shape of
JMeter's dashboard.js) and ``charts`` (in the shape of JMeter's graph.js) -> ``render`` (HTML).
"""
