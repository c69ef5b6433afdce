"""Local stand-ins for what runs outside this machine: a throwaway PostgreSQL, the catalog API and an OpenID
Connect issuer for the analytics API."""
