"""Periodic jobs of the grants programme (registered with ``core.scheduler``).

Each job wraps one service function, which holds the rule and is tested on its own.
"""

from __future__ import annotations
