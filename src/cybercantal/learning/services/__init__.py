"""Every write of the cartable électronique, one module per part (DESIGN §2)."""
