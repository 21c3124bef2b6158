"""``surge compare``: per-label changes between runs, their significance, a regression gate, the page.

Imports run one way: cli -> compare -> report -> results. docs/compare.md describes the method.
"""
