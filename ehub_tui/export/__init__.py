"""Daily returns and reports: the store's counts turned into long-form returns and summaries."""
