"""Reading risk in a client's own words: a level, its evidence and reasons; a clinician decides.

Use ``read_risk(text, critical_items=...)`` for one text, or ``RiskReader.load()`` once and
``.read(...)`` many times in a server or a batch.
"""

from alongside.risk.reader import CRITICAL_ITEMS, RiskReader, read_critical_items, read_risk
from alongside.risk.reading import Evidence, Level, RiskReading, Signal, unavailable_reading

__all__ = [
    "CRITICAL_ITEMS",
    "Evidence",
    "Level",
    "RiskReader",
    "RiskReading",
    "Signal",
    "read_critical_items",
    "read_risk",
    "unavailable_reading",
]
