"""One router per resource: validate, jobs, meta (versions, rules, health)."""
