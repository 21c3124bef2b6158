"""The error "type" of a failed sample (JMeter's ErrorsSummaryConsumer.getErrorKey), in SQL and Python.

SQL classifies each sample into (kind, code, text) cheaply; Python turns the few distinct triples into
the displayed key. JMeter's rule (docs/jmeter-semantics.md#errors):

- the response code is numeric and in 200..399, or the code is empty and the failure message is not:
  the key is the failure message, or ``Assertion failed`` when that is empty;
- otherwise ``code`` plus ``/message`` when the response message is not empty.

JMeter HTML-escapes (HTML 4 entities) the message parts; ``ErrorKeys.HTML_ESCAPED`` does the same so
keys equal JMeter's, ``ErrorKeys.RAW`` keeps the text raw (the renderer escapes everything it shows).
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


def grouped_sql(where: str) -> str:
    """Subquery: ``samples`` rows matching ``where`` grouped by (label, kind, code, text), with
    failures (count), first_failure_row and first_row (min row_id, successes included).

    Rows are first grouped by their raw columns and only the distinct groups are classified, which
    keeps the string work off the per-row path.
    """
    return f"""(SELECT label, kind,
               CASE kind WHEN 'C' THEN response_code ELSE '' END AS code,
               CASE kind WHEN 'F' THEN failure_message WHEN 'A' THEN '' ELSE response_message END AS text,
               sum(failures) AS failures, min(first_failure_row) AS first_failure_row,
               min(first_row) AS first_row
        FROM (SELECT *, {KIND_SQL} AS kind
              FROM (SELECT label, response_code, response_message, failure_message,
                           count_if(NOT success) AS failures,
                           min(row_id) FILTER (WHERE NOT success) AS first_failure_row,
                           min(row_id) AS first_row
                    FROM samples WHERE {where}
                    GROUP BY label, response_code, response_message, failure_message))
        GROUP BY ALL)"""


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
