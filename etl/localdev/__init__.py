"""Local stand-ins for the AWS services the pipeline uses: a throwaway PostgreSQL and the catalog API."""
