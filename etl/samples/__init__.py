"""Sample data shipped inside the package: the Northwind export (see ``northwind/NOTICE.md``) that ``make pipeline``
and the generator use as their default source."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# The local tools take folders; a wheel installed by pip unpacks to the filesystem, so this is a real path there.
NORTHWIND_EXPORT = Path(str(files("etl.samples") / "northwind"))
