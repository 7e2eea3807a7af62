"""Resolve the symbolic due times of the agreement sets (`*.src.json`) into the ISO ranges the eval reads.

    python -m bench.insights_gold        # writes bench/data/insights/agreements_{en,nl}.json

Symbols (the annotator's notation, independent of the parser under test): `now` = the moment the
utterance ends (utterance i ends at 5 i + 4 s after the call start); `d HH:MM:SS` = the call's day;
`d+N HH:MM:SS` = N calendar days later; `d+Nw HH:MM:SS` = N working days later; or an ISO date-time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent / "data" / "insights"
ZONE = ZoneInfo("Europe/Amsterdam")


def _day(start: datetime, symbol: str) -> datetime:
    day_part, clock = symbol.split(" ")
    if not day_part.startswith("d"):
        return datetime.fromisoformat(symbol).replace(tzinfo=ZONE)
    day = start.date()
    if day_part.startswith("d+"):
        n = day_part[2:]
        if n.endswith("w"):
            left = int(n[:-1])
            while left:
                day += timedelta(days=1)
                left -= day.weekday() < 5
        else:
            day += timedelta(days=int(n))
    h, m, s = (int(x) for x in clock.split(":"))
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=ZONE)


def resolve(spec: dict[str, Any]) -> dict[str, Any]:
    start = datetime.fromisoformat(spec["start"]).replace(tzinfo=ZONE)
    gold = []
    for utterance, owner, due in spec["gold"]:
        said = start + timedelta(seconds=5 * utterance + 4)
        rng = (
            None
            if due is None
            else [(said if s == "now" else _day(start, s)).isoformat(timespec="seconds") for s in due]
        )
        gold.append({"utterance": utterance, "owner": owner, "due": rng})
    return {"started_at": start.timestamp(), "start": spec["start"], "turns": spec["turns"], "agreements": gold}


def main() -> int:
    for language in ("en", "nl"):
        src = DATA / f"agreements_{language}.src.json"
        if src.exists():
            calls = [resolve(c) for c in json.loads(src.read_text())]
            (DATA / f"agreements_{language}.json").write_text(json.dumps(calls, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
