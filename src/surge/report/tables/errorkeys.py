"""The error "type" of a failed sample (JMeter's ErrorsSummaryConsumer.getErrorKey), in SQL and Python.

SQL classifies each sample into (kind, code, text) cheaply; Python turns the few distinct triples into
the displayed key. JMeter's rule (spec §2.5):

- the response code is numeric and in 200..399, or the code is empty and the failure message is not:
  the key is the failure message, or ``Assertion failed`` when that is empty;
- otherwise ``code`` plus ``/message`` when the response message is not empty.

JMeter HTML-escapes (HTML 4 entities) the message parts; the JMeter-compatible mode does the same so
keys equal JMeter's, the default mode keeps the text raw (the renderer escapes everything it shows).
JMeter's trunk also JSON-escapes them (commons-text escapeJson); the JMeter releases our fixtures
come from (up to 5.6.3) did not: their HashMap order only matches the unescaped keys.
"""

from __future__ import annotations

from surge.report.tables.java import escape_html4

ASSERTION_FAILED = "Assertion failed"

# MetricUtils.isSuccessCode: StringUtils.isNumeric then Integer.parseInt (overflow -> not a success).
_SUCCESS_CODE = (
    "(regexp_full_match(response_code, '[0-9]+') AND TRY_CAST(response_code AS INTEGER) BETWEEN 200 AND 399)"
)

# 'F': key is the failure message; 'A': key is "Assertion failed"; 'C': code[/message].
KIND_SQL = f"""CASE WHEN {_SUCCESS_CODE} OR (response_code = '' AND failure_message <> '')
         THEN CASE WHEN failure_message <> '' THEN 'F' ELSE 'A' END
         ELSE 'C' END"""


def classified_sql(where: str) -> str:
    """Subquery over ``samples`` rows matching ``where``: label, row_id, success, kind, code, text."""
    return f"""(SELECT label, row_id, success, kind,
               CASE kind WHEN 'C' THEN response_code ELSE '' END AS code,
               CASE kind WHEN 'F' THEN failure_message WHEN 'A' THEN '' ELSE response_message END AS text
        FROM (SELECT label, row_id, success, response_code, response_message, failure_message,
                     {KIND_SQL} AS kind
              FROM samples WHERE {where}))"""


def error_key(kind: str, code: str, text: str, *, html_escape: bool) -> str:
    """Displayed key: JMeter's (HTML-escaped message parts) when ``html_escape``, else raw text."""
    esc = escape_html4 if html_escape else _identity
    if kind == "F":
        return esc(text)
    if kind == "A":
        return ASSERTION_FAILED
    return code + ("/" + esc(text) if text else "")


def _identity(text: str) -> str:
    return text
