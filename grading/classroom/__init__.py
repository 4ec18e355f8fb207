"""The classroom runner: grade a whole class, locally or on a Dask cluster (``minitorch-autograde``).

One concept per module, in the order a run uses them:

* :mod:`.submissions`: finding submissions (nbgrader's layout) and reading them safely;
* :mod:`.worker`: a task, and grading it into a :class:`grading.record.SubmissionRecord`;
* :mod:`.dispatch`: local processes or a Dask cluster, through one ``concurrent.futures`` loop;
* :mod:`.run`: a whole run (resume, Ctrl-C, progress bar);
* :mod:`.outputs` and :mod:`.report_html`: ``grades.csv``, feedback files and ``report.html``;
* :mod:`.cli`: the command line.
"""

from .run import RunSummary, run
from .worker import Options

__all__ = ["Options", "RunSummary", "run"]
