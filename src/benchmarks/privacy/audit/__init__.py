"""The attack: act as each district in turn and try to learn other districts' figures from what it receives.

A district receives its own files (its report, custom reports, initiative checks, their tables), plus the
shared board summary, the board's tables and the index; and any other file under reports/<year>/ could be
sent (a manifest, executed notebooks, images). The audit reads every one of them, any type, as that district
would (visible text, alt text, attributes, table cells, JSON, notebook outputs, the text in unknown bytes;
charts decoded back to the values they draw) and, knowing the true figures from the warehouse, looks for
what the district could learn:

- another district's figure, as displayed or unrounded, anywhere in text, alt text, attributes or cells;
- a statistic of a group with fewer than min_peers others, a quartile of a group below quartile_min_peers,
  a minimum, maximum or rank, a figure shown more precisely than the pages round;
- in a round-table-sized group (fewer than quartile_min_peers others), a displayed statistic that equals the
  displayed figure of exactly one neighbour;
- a mean or total from which mean x n - own figure, or one total minus a nested one, isolates fewer than
  min_peers districts, or a total failing the dominance check; counts that include the reader;
- a county (or size band) counted on the board or the index that has fewer than min_peers districts, and
  any number in a table cell of the index that is not a tagged figure;
- a district's name, ID or pseudonym in anything but that district's own files;
- a chart mark drawn at another district's exact figure or a group statistic's exact value, more precisely
  than the text rounds; a path of the analyst's machine; a group's figure shown two ways in one district's files.

Every figure a page shows carries data-metric, data-group and data-stat attributes (reports.html.tagged), and
export rows say the same in columns, so the audit can check each against the rules; figures the audit does
not find declared are still caught by the text scan. Run it before sending files: `benchmarks audit`.

received finds and reads every file (artifacts: pages and tables, charts: SVG), truth holds what the attacker
wants, checks runs the attack (together: charts, paths and a district's files together).
"""

from benchmarks.privacy.audit.artifacts import Artifact, read_html, read_table, read_xlsx
from benchmarks.privacy.audit.charts import Mark, embedded_svgs, read_svg
from benchmarks.privacy.audit.checks import Audit, Finding, audit_artifacts, audit_files, summary
from benchmarks.privacy.audit.received import read_any, read_file, received_files
from benchmarks.privacy.audit.truth import Truth

__all__ = ["Finding", "Artifact", "Truth", "Audit", "read_html", "read_table", "read_xlsx", "read_file",
           "audit_artifacts", "audit_files", "summary", "read_any", "received_files", "read_svg", "embedded_svgs",
           "Mark"]
