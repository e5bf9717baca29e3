"""Reads of the cartable électronique, one module per part."""
