"""Every exercise of the course: the two kinds (base.py), one module per notebook (nbNN.py),
and the registry that lists them (registry.py)."""
