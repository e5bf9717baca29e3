"""CyberCantal: the platform of a département's digital plan."""
