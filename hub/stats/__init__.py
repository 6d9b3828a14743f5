"""Consolidated figures: rollups kept as events arrive, periods, figures and reports."""
