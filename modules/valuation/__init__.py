"""The vehicle valuation API's monthly call budget alarm."""

from modules.valuation.construct import ValuationBudget
from modules.valuation.props import ValuationBudgetProps

__all__ = ["ValuationBudget", "ValuationBudgetProps"]
