"""Measurement-based care: repeat measures by plan, trends with reliable change, charts."""
