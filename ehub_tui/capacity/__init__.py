"""Capacity planning from the hub's own history: demand, work, need and rota checks."""
