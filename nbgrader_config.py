"""nbgrader configuration of the course (read by every `nbgrader` command run from the repository root).

The reference notebooks are nbgrader's *source* and live in solutions/<assignment>/<assignment>.ipynb; the
student versions are nbgrader's *release* and are generated into exercises/<assignment>/ by the one release
command, `make release` (`python -m grading release`, which runs
`nbgrader generate_assignment "*" --no-db --force`). Autograding (`nbgrader autograde`) uses nbgrader's
default submitted/ and autograded/ folders; its kernels must be able to `import grading` (grading/,
installed with the course, or on PYTHONPATH).
"""

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

c.CourseDirectory.course_id = "minitorch-ad"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Spelled out so that a personal Jupyter configuration cannot change the released notebooks.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# A test cell runs a part's checks, each with its own time limit; the deepest graphs take a few seconds.
c.Execute.timeout = 300
