"""The exercise and the solution cells (by id) that the catalogue of exercise 8 edits."""

E = "ex08"
SUBDIFFERENTIAL, RELU, ABS, MAX = "ex08_subdifferential", "ex08_relu_vjp", "ex08_abs_vjp", "ex08_max_vjp"
CHECK, LASSO, METHOD = "ex08_check_gradient", "ex08_lasso_subgradient", "ex08_subgradient_method"
