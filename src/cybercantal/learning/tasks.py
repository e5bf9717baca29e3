"""Periodic jobs of the cartable électronique (registered with ``core.scheduler``).

Each part keeps its jobs in ``jobs/<part>.py``; importing them here registers them. Each job
wraps one service function, which holds the rule and is tested on its own.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

for _part in ("home", "provisioning", "schools", "documents", "attempts", "homework"):
    if find_spec(f"{__package__}.jobs.{_part}") is not None:
        import_module(f"{__package__}.jobs.{_part}")
