"""Pure Python model of an election, its paper form and its rules. No I/O, no project imports."""
