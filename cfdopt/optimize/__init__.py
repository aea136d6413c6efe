"""Shape optimization: the aerodynamic problem, multi-point, evaluation backends, constraints, the driver, a run and its checkpoint, and the verification of an optimum."""
