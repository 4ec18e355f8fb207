"""The exercise and the solution cells (by id) that the catalogue of exercise 9 edits."""

E = "ex09"
SPLIT, SCALE, STEP, TRAIN = "ex09_split", "ex09_standardize", "ex09_step", "ex09_train"
NORMS, RATIO = "ex09_norms", "ex09_vanishing"
