"""Files in: reading, validating and archiving submissions and public data; the template and the demo."""
