"""One router per area; auth is attached to each router once, in `api.app`."""
