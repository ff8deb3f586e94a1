"""配捐 matching: pools (``pools``), the rule-correct match (``rules``), reserving it from
sharded budgets (``reserve``) and the donations-stream step that does it once (``stream``)."""
