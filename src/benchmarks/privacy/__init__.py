"""What may leave the warehouse: pseudonyms, the crosswalk, the disclosure rules and gate, and the audit."""
