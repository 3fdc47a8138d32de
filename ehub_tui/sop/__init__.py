"""The SOP engine: YAML rules → validated models → compiled conditions → explainable decisions."""

ENGINE_VERSION = "1.0.0"
