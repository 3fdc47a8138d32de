"""The Textual apps. The only package that imports Textual."""
