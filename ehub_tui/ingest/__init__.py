"""Reading OC files (FHIR JSON, NDJSON, supplier CSV) and validating their records."""
