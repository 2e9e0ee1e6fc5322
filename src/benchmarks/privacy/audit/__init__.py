"""The attack: act as each district in turn and try to learn other districts' figures from what it receives.

A district receives its own report and tables, plus the shared board summary, the board's tables and the
index. The audit reads those files as that district would (visible text, image alt text, attributes, table
cells) and, knowing the true figures from the warehouse, looks for what the district could learn:

- another district's figure, as displayed or unrounded, anywhere in text, alt text, attributes or cells;
- a statistic of a group with fewer than min_peers others, a quartile of a group below quartile_min_peers,
  a minimum, maximum or rank, a figure shown more precisely than the pages round;
- in a round-table-sized group (fewer than quartile_min_peers others), a displayed statistic that equals the
  displayed figure of exactly one neighbour;
- a mean or total from which mean x n - own figure, or one total minus a nested one, isolates fewer than
  min_peers districts, or a total failing the dominance check; counts that include the reader;
- a county (or size band) counted on the board or the index that has fewer than min_peers districts, and
  any number in a table cell of the index that is not a tagged figure;
- a district's name, ID or pseudonym in anything but that district's own report and tables.

Every figure a page shows carries data-metric, data-group and data-stat attributes (reports.html.tagged), and
export rows say the same in columns, so the audit can check each against the rules; figures the audit does
not find declared are still caught by the text scan. Run it before sending files: `benchmarks audit`.

artifacts reads the files, truth holds what the attacker wants, checks runs the attack.
"""

from benchmarks.privacy.audit.artifacts import Artifact, read_file, read_html, read_table, read_xlsx
from benchmarks.privacy.audit.checks import Audit, Finding, audit_artifacts, audit_files, summary
from benchmarks.privacy.audit.truth import Truth

__all__ = ["Finding", "Artifact", "Truth", "Audit", "read_html", "read_table", "read_xlsx", "read_file",
           "audit_artifacts", "audit_files", "summary"]
