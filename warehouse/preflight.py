"""Before a night: are the settings usable, and what would a run make of the inbox?

`settings_problems` is what `helhedsdata run` checks before Dagster starts (a missing inbox,
a missing or empty plans folder, a notice setting that cannot work, no key for a real inbox):
each problem says what to do. `check_inbox` runs what a run's readers run — every contract,
the control files, the plan validation — without Dagster or dbt, and says per source what a
run would accept, reject (and quarantine) or warn about: `helhedsdata check`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from sources import lbf, momentum, omraader, opera, roster
from sources.contract import ContractError
from warehouse.config import ConfigError, Settings

NOTICE_PREFIX = "HELHEDSDATA_NOTIFY_"
NOTICE_VARIABLES = {"WEBHOOK", "SMTP_HOST", "SMTP_PORT", "EMAIL_TO", "EMAIL_FROM", "SMTP_USER", "SMTP_PASSWORD",
                    "SMTP_STARTTLS"}


def notice_problems(env=os.environ) -> list[str]:
    """A notice setting that cannot work is found before a run needs it (warehouse/notify.py)."""
    out = []
    unknown = sorted(k for k in env if k.startswith(NOTICE_PREFIX) and k[len(NOTICE_PREFIX):] not in NOTICE_VARIABLES)
    out += [f"{k} is not a notice setting (known: {', '.join(NOTICE_PREFIX + v for v in sorted(NOTICE_VARIABLES))})"
            for k in unknown]
    hook = env.get(NOTICE_PREFIX + "WEBHOOK")
    if hook and not hook.startswith(("http://", "https://")):
        out.append(f"{NOTICE_PREFIX}WEBHOOK must be an http:// or https:// URL")
    host, to = env.get(NOTICE_PREFIX + "SMTP_HOST"), env.get(NOTICE_PREFIX + "EMAIL_TO")
    if bool(host) != bool(to):
        out.append(f"e-mail notices need both {NOTICE_PREFIX}SMTP_HOST and {NOTICE_PREFIX}EMAIL_TO "
                   f"({'the recipients' if host else 'the server'} are missing)")
    port = env.get(NOTICE_PREFIX + "SMTP_PORT")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        out.append(f"{NOTICE_PREFIX}SMTP_PORT must be a port number, e.g. 25 or 587")
    tls = env.get(NOTICE_PREFIX + "SMTP_STARTTLS")
    if tls not in (None, "", "0", "1"):
        out.append(f"{NOTICE_PREFIX}SMTP_STARTTLS must be 1 (STARTTLS) or 0")
    if env.get(NOTICE_PREFIX + "SMTP_USER") and not env.get(NOTICE_PREFIX + "SMTP_PASSWORD"):
        out.append(f"{NOTICE_PREFIX}SMTP_USER is set without {NOTICE_PREFIX}SMTP_PASSWORD")
    return out


def settings_problems(settings: Settings) -> list[str]:
    """What would make a run fail before it reads a row, each with what to do."""
    out = []
    if not settings.inbox.is_dir():
        out.append(f"the inbox {settings.inbox} does not exist: give --inbox or set HELHEDSDATA_INBOX to the folder "
                   "where the deliveries land")
    if not settings.plans.is_dir():
        out.append(f"the plans folder {settings.plans} does not exist: set HELHEDSDATA_PLANS to the folder of plan "
                   "files (one YAML per delaftale or strategy)")
    elif not any(settings.plans.glob("*.yaml")):
        out.append(f"the plans folder {settings.plans} holds no plan (*.yaml): without a plan nothing is published "
                   "for any area; add the plan files or point HELHEDSDATA_PLANS to them")
    out += [f"notice setting: {p}" for p in notice_problems()]
    if settings.inbox.is_dir() and settings.key_problem():
        out.append(settings.key_problem())
    return out


@dataclass
class SourceReport:
    source: str
    lines: list[str] = field(default_factory=list)
    blocks: bool = False  # a run would not publish because of this source

    def add(self, text: str) -> None:
        self.lines.append(text)


def _violations(e: ContractError, limit: int = 20) -> list[str]:
    out = [f"    {v}" for v in e.violations[:limit]]  # file, line and rule as every report says them
    if len(e.violations) > limit:
        out.append(f"    … and {len(e.violations) - limit} more")
    return out


def _extracts(module, settings: Settings, pseudo, required: bool) -> SourceReport:
    rep = SourceReport(module.SOURCE)
    found = module.find_extracts(settings.inbox)
    if not found:
        rep.add("no complete extract (a dated folder with its control file)"
                + ("" if required else ": optional, the history then starts with Momentum"))
        rep.blocks = required
        return rep
    for folder in found:
        try:
            ext = module.read_extract(folder, pseudo, settings.inbox)
        except ContractError as e:
            rep.add(f"{folder.name}: a run would REJECT it (moved to the quarantine) and try the next newest:")
            rep.lines += _violations(e)
            continue
        rows = ", ".join(f"{name} {t.num_rows}" for name, t in ext.tables.items())
        rep.add(f"{folder.name}: accepted; extract date {ext.extract_date:%d.%m.%Y}; rows {rows} "
                "(control file matched)")
        return rep
    rep.add("no extract would be accepted" + ("" if required else ": the Opera history would be empty"))
    rep.blocks = required
    return rep


def _pseudonymizer(settings: Settings):
    """The run's key; for a synthetic inbox whose home has no throw-away key yet, a key of the
    check's own, never written (the check keeps no pseudonym, so it writes nothing)."""
    from sources.pseudonym import Pseudonymizer, random_key

    if not os.environ.get("HELHEDSDATA_PSEUDONYM_KEY") and not settings.throwaway_key_file.exists():
        return Pseudonymizer(random_key())
    return settings.pseudonymizer()


def check_inbox(settings: Settings) -> tuple[list[SourceReport], bool]:
    """Per source what a run would do with the inbox, and whether it would publish (as far as
    the readers and the plans decide: the GX suites and dbt's tests run only in a run)."""
    from warehouse import inbox_state
    from warehouse.plans import PlanError, load_plans

    pseudo = _pseudonymizer(settings)
    reports = [_extracts(momentum, settings, pseudo, True), _extracts(opera, settings, pseudo, False)]

    rep = SourceReport(omraader.SOURCE)
    try:
        table, as_of = omraader.read_register(settings.inbox, pseudo)
        rep.add(f"{omraader.PATH}: {table.num_rows} addresses, file date {as_of:%d.%m.%Y}")
    except (ContractError, FileNotFoundError) as e:
        rep.blocks = True
        rep.add(f"{omraader.PATH}: a run would stop here:")
        rep.lines += _violations(e) if isinstance(e, ContractError) else ["    the file is missing"]
    reports.append(rep)

    rep = SourceReport(lbf.SOURCE)
    try:
        table, files = lbf.read_lbf(settings.inbox)
        rep.add(f"{', '.join(files)}: {table.num_rows} rows" if table is not None else "no LBF file (optional)")
    except ContractError as e:
        rep.blocks = True
        rep.add("a run would stop here:")
        rep.lines += _violations(e)
    reports.append(rep)

    rep = SourceReport(roster.SOURCE)
    res = roster.read_rosters(settings.inbox, pseudo)
    rep.add(f"{', '.join(res.files) or 'no roster'}: {res.table.num_rows} participant rows")
    for v in res.file_faults:
        rep.add(f"    rejected whole: {v}")
    errors = [v for v in res.row_faults if v.level == "error"]
    for v in errors[:20]:
        rep.add(f"    left out: {v}")
    if len(errors) > 20:
        rep.add(f"    … and {len(errors) - 20} more rows left out")
    reports.append(rep)

    rep = SourceReport("plans")
    try:
        plans = load_plans(settings.plans)
        rep.add(f"{settings.plans}: {len(plans)} valid: {', '.join(p.id for p in plans)}")
    except PlanError as e:
        rep.blocks = True
        rep.add("a run would stop here:")
        rep.lines += [f"    {line}" for line in str(e).splitlines()]
    reports.append(rep)

    stale = inbox_state.stale(inbox_state.freshness(settings.inbox, settings.plans))
    if stale:
        reports.append(SourceReport("freshness", [f"stale (a run warns, it does not block): {', '.join(stale)}"]))
    return reports, not any(r.blocks for r in reports)


def print_report(settings: Settings, reports: list[SourceReport], would_publish: bool) -> None:
    print(f"Inbox {settings.inbox}; plans {settings.plans}")
    for r in reports:
        print(f"\n{r.source}{'  (BLOCKS A RUN)' if r.blocks else ''}")
        for line in r.lines:
            print(line if line.startswith("    ") else f"  {line}")
    print("\nA run would publish." if would_publish else "\nA run would NOT publish: see BLOCKS A RUN above.")


def settings_ok_or_raise(settings: Settings) -> None:
    problems = settings_problems(settings)
    if problems:
        raise ConfigError("; ".join(problems) if len(problems) == 1 else
                          "\n".join(["the run was not started:"] + [f"  - {p}" for p in problems]))


__all__ = ["check_inbox", "notice_problems", "print_report", "settings_ok_or_raise", "settings_problems"]

