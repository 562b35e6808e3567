"""REST API views (STYLE.md 1): look up through a team-scoped selector, check the envelope, call a service,
return its result. Every rule about a listing's values lives in the services and the checks, so the API and the
web forms refuse the same things with the same codes."""
