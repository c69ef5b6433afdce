"""``python -m etl.contracts``: regenerate docs/data-contracts.md from the contracts."""

from etl.contracts.docs import write_markdown

print(f"wrote {write_markdown()}")
