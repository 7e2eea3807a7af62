"""The customer article's checklist as artefacts: compliance texts rendered from the effective configuration.

:func:`facts_from` reads what the texts rest on from a :class:`gateway.config.ServerConfig` (purposes,
retention, recipients, redaction and special-category policies, the opt-out key, anchoring);
:func:`render` turns those facts into one Markdown document, in Dutch or English, with the GDPR art. 30
register entry, the privacy-statement paragraph, the announcements for inbound and outbound calls, the
notice for colleagues and the works council, and a DPIA screening.  Both are pure; ``python -m
compliance --lang nl`` (console script ``callscribe-compliance``) is the thin command-line shell.
"""

from compliance.facts import BASES, DEFAULT_BASIS, Facts, Purpose, facts_from
from compliance.render import LANGUAGES, render

__all__ = ["BASES", "DEFAULT_BASIS", "LANGUAGES", "Facts", "Purpose", "facts_from", "render"]
