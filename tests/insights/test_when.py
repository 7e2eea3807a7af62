"""Due ranges of Dutch and English time expressions, said on Tuesday 1 December 2026 at 14:05 (Amsterdam)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from insights.when import due

NOW = datetime(2026, 12, 1, 14, 5, tzinfo=ZoneInfo("Europe/Amsterdam"))
T = "2026-12-{:02d}T{}+01:00"


@pytest.mark.parametrize(
    ("text", "language", "start", "end"),
    [
        ("De monteur komt morgen tussen acht en tien.", "nl", T.format(2, "08:00:00"), T.format(2, "10:00:00")),
        ("Ik bel u om half drie terug.", "nl", T.format(1, "14:30:00"), T.format(1, "14:30:00")),
        ("We komen volgende week dinsdag langs.", "nl", T.format(8, "00:00:00"), T.format(8, "23:59:59")),
        ("Ik stuur het voor vrijdag.", "nl", T.format(1, "14:05:00"), T.format(4, "23:59:59")),
        ("Ik regel dat binnen drie werkdagen.", "nl", T.format(1, "14:05:00"), T.format(4, "23:59:59")),
        ("Ik stuur het morgenochtend.", "nl", T.format(2, "08:00:00"), T.format(2, "12:00:00")),
        ("Ik stuur de foto's vanavond.", "nl", T.format(1, "18:00:00"), T.format(1, "22:00:00")),
        ("Op 20 december komt de monteur.", "nl", T.format(20, "00:00:00"), T.format(20, "23:59:59")),
        ("I'll send the invoice by Friday.", "en", T.format(1, "14:05:00"), T.format(4, "23:59:59")),
        ("You'll get it within three working days.", "en", T.format(1, "14:05:00"), T.format(4, "23:59:59")),
        ("I'll call you back tomorrow morning.", "en", T.format(2, "08:00:00"), T.format(2, "12:00:00")),
        ("I will call you at 10 am on Thursday.", "en", T.format(3, "10:00:00"), T.format(3, "10:00:00")),
        ("I'll call you at half past six.", "en", T.format(1, "18:30:00"), T.format(1, "18:30:00")),
        ("We'll refund you on the 15th of December.", "en", T.format(15, "00:00:00"), T.format(15, "23:59:59")),
        ("Between two and four tomorrow.", "en", T.format(2, "14:00:00"), T.format(2, "16:00:00")),
        ("We'll send a replacement next week.", "en", T.format(7, "00:00:00"), T.format(11, "23:59:59")),
    ],
)
def test_due_range(text: str, language: str, start: str, end: str) -> None:
    """Each expression resolves to the documented wall-clock range in the call's time zone."""
    found = due(text, language, NOW)
    assert found is not None and (found.start, found.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wij sturen een nieuwe router op.", "nl"),
        ("Ik kan sinds vanochtend niet inloggen.", "nl"),  # a past morning is not a due time
        ("I'll send you a new router.", "en"),
    ],
)
def test_no_due_time(text: str, language: str) -> None:
    """A commitment without a time, or a time in the past, has no due range."""
    assert due(text, language, NOW) is None
