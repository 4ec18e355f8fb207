"""An author-year label style for the bibliography.

The chapters cite in author-year form, "Griewank and Walther (2008)"
(``bibtex_reference_style: author_year``), but pybtex's built-in styles label
the entries of the reference list "[GW08]" (alpha) or "[1]" (plain), so a
reader cannot find a citation in the list by its text. This extension
registers a pybtex formatting style, ``author_year``, that formats entries
like pybtex's ``plain`` style, sorts them by author, year and title, and
labels each one the way the chapters cite it: "Griewank and Walther, 2008",
"Baydin et al., 2018". Two entries that would get the same label are told
apart by a letter after the year ("2024a", "2024b").

Select it with ``bibtex_default_style: author_year`` (or ``:style:`` on the
``bibliography`` directive).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx


def _last_name(person: Any) -> str:
    """A person's last name(s) as plain text, with LaTeX accents decoded."""
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def author_year_label(entry: Any) -> str:
    """ "Scardapane, 2024", "Griewank and Walther, 2008" or "Baydin et al., 2018"."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(person) for person in people]
    if not names:
        who = entry.fields.get("title", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels that read like the author-year citations in the text."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        entries = list(sorted_entries)
        labels = [author_year_label(entry) for entry in entries]
        repeated = Counter(labels)
        seen: Counter[str] = Counter()
        for label in labels:
            if repeated[label] == 1:
                yield label
            else:
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label]]
                seen[label] += 1


class AuthorYearStyle(PlainStyle):
    """pybtex's plain formatting, sorted by author, year and title, with author-year labels."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


def setup(app: Sphinx) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
