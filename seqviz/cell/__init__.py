"""Inside the cell: the inputs a visitor picks, one traced run of a module on them, the numbers of
each step, parameter counts and the trace's downloads."""
