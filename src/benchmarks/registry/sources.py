"""Where figures come from: a district's own submission, or the public data sets the toolkit imports."""

from __future__ import annotations

#: The submitted fields public data can stand in for (Connect K-12 / EducationSuperHighway district files).
NETWORK_FIELDS = ("bandwidth_mbps", "internet_monthly_cost_usd")
#: Each district's volumes as submitted (public data standing in for the network ones): what a county buys
#: together. Stored per district in the warehouse's `volumes` table; only gated totals of them leave it.
VOLUME_FIELDS = ("devices_replaced", "device_spend_usd", *NETWORK_FIELDS)
#: How a page names the public data a figure was taken from.
PUBLIC_SOURCE = "EducationSuperHighway (Connect K-12) public data, E-rate funding year {funding_year}"
