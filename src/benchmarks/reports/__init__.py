"""What the pages say and draw: report kinds, the HTML builder, wording, charts, each report's sections."""
