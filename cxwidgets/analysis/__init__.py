"""Analysis over the metric core and the MIS model: plain functions returning polars frames.

Modules (each one job): ``lift`` (lift vs baseline), ``trends``, ``drivers`` (driver analysis and
the hierarchy of CX metrics), ``revenue`` (linking CX to revenue), ``thresholds`` (cut-offs against
outcomes), ``sensitivity`` (weight stability, suggested weights), ``evidence`` (uncertainty-aware
status), ``backfill`` and ``roi``.
"""
