"""Entry point: ``python -m etl.enrich.vehicle_valuation --plates FILE.csv --lake DIR --budget N``."""

import sys

from etl.enrich.vehicle_valuation.cli import main

sys.exit(main())
