"""API v1 routes of this app (registered on enlets.core.api.api)."""
