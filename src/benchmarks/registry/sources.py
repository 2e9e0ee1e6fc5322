"""Where figures come from: a district's own submission, or the public data sets the toolkit imports."""

from __future__ import annotations

#: The submitted fields public data can stand in for (Connect K-12 / EducationSuperHighway district files).
NETWORK_FIELDS = ("bandwidth_mbps", "internet_monthly_cost_usd")
#: How a page names the public data a figure was taken from.
PUBLIC_SOURCE = "EducationSuperHighway (Connect K-12) public data, E-rate funding year {funding_year}"
