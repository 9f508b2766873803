"""Notes on the record: progress notes drafted from what is known, every sentence traceable;
addenda; psychotherapy notes kept apart; safety plans."""
