"""Grading suite for exercise 8 (non-smooth functions): grades ONE notebook, one test per part.

By default it grades the reference solution, which must score full marks. To grade a submission::

    SUBMISSION=path/to/ex08_nonsmooth.ipynb .venv/bin/python -m pytest tests/test_grading_ex08.py

Each test is one part: it passes with full marks, fails with the part's score and its failing checks
otherwise, and records the part's `points` and `max_points` as JUnit properties (`--junitxml`).
"""

from grading.suite import grading_tests

report, test_part = grading_tests("ex08")
