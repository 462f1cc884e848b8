"""Quarantine: a rejected extract is moved, whole, out of the inbox with a readable
report beside it (file, line, rule, count; never a value)."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

from sources.contract import ContractError


CONTRACT = "it broke its reader contract"
GX_SUITE = "it kept its reader contract but failed its Great Expectations suite (expectations/)"


def quarantine(folder: Path, source: str, root: Path, error: ContractError, reason: str = CONTRACT) -> Path:
    dest = root / source / folder.name
    if dest.exists():  # the same extract re-delivered and rejected again
        dest = dest.with_name(f"{folder.name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder), str(dest))
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines = [f"# Rejected extract {source}/{folder.name}", "", f"Rejected at {when}: {reason}. The pipeline went on with "
             "the last good extract; nothing published changed.", "",
             "| file | line | rule | rows | detail |", "| --- | --- | --- | --- | --- |"]
    for v in error.violations:
        lines.append(f"| {v.file} | {v.lines[0] if v.lines else ''} | {v.rule} | {v.count} | {v.detail} |")
    lines += ["", "Move the folder back into the inbox once it is corrected or re-delivered."]
    (dest / "REJECTED.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (dest / "REJECTED.json").write_text(json.dumps({
        "source": source, "extract": folder.name, "rejected_at": when, "reason": reason,
        "violations": [{"file": v.file, "rule": v.rule, "detail": v.detail, "count": v.count,
                        "lines": v.lines[:100]} for v in error.violations],
    }, indent=2, ensure_ascii=False), encoding="utf-8")
    return dest
