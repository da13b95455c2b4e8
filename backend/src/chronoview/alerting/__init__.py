"""Alert rules and incidents (SPEC §10): which parameters score a metric, and the episodes that open,
stay firing and resolve. The window backends run the state machine (incidents.Tracker in process,
window.lua in Redis) in the same atomic step as the score; resolver.py resolves silent metrics."""
