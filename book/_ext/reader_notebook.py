"""Turn a chapter's executed notebook into one a reader can run anywhere.

A chapter is a MyST notebook: its Markdown cells hold directives (``literalinclude``
of the package's source, admonitions, exercises) and roles (``{ref}``, ``{cite:p}``)
that only Sphinx understands, and a few code cells reach into the repository
(``sys.path.insert(0, "../../bench")``, ``Path("../../bench/results/x.csv")``).
Downloaded as it is, such a notebook shows raw directive text instead of the
listings the chapter is about and fails outside the repository. :func:`convert`
rewrites it:

* every ``literalinclude`` becomes a Python code block holding the included
  lines, read by Sphinx's own reader (so ``:pyobject:`` and friends agree with
  the page);
* admonitions and exercises become block quotes, folded solutions become
  ``<details>`` (or, when a solution spans code cells, cells collapsed with
  Jupyter's ``source_hidden`` / ``outputs_hidden`` metadata);
* roles become plain Markdown text: a reference becomes its title, a citation
  "(Author, year)", a glossary term its word; math is kept as it is;
* a module or data file that a code cell loads from the repository is written
  next to the notebook by a ``%%writefile`` cell at the top, and the path in the
  code becomes that file's name; ``from myst_nb import glue`` becomes a stand-in
  that prints the value.

This module knows nothing about Sphinx: what it needs from the build comes in a
:class:`BuildFacts`.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

# --- what the build tells the converter ------------------------------------------------


@dataclass
class BuildFacts:
    """What the converter needs to know about the book being built.

    ``source_dir`` is the folder of the chapter's source file (relative paths in
    it are resolved from there); ``repository`` is the folder that a path may not
    leave; ``include`` reads a ``literalinclude`` (path, options) into text;
    ``labels`` maps a reference label to its title; ``citations`` a BibTeX key to
    its author-year label, "Griewank and Walther, 2008"; ``substitutions`` the ``{{ name }}`` values; ``glue`` the
    glued values of this page as text; ``install_from``, when set, is the course's
    repository URL, from which a first cell installs minitorch where it is missing
    (on Binder or Colab).
    """

    source_dir: Path
    repository: Path
    include: Callable[[str, dict[str, str]], str]
    labels: dict[str, str] = field(default_factory=dict)
    citations: dict[str, str] = field(default_factory=dict)
    substitutions: dict[str, str] = field(default_factory=dict)
    glue: dict[str, str] = field(default_factory=dict)
    install_from: str = ""


# --- Markdown: directives ------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<args>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
_ADMONITION_TITLES = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "margin": "",
    "sidebar": "",
    "topic": "",
    "epigraph": "",
}
_DROPPED_DIRECTIVES = {
    "bibliography",
    "tableofcontents",
    "toctree",
    "glossary",
    "eval-rst",
    "raw",
    "index",
    "solution-end",
    "exercise-end",
}


@dataclass
class _Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: str


def _split_directive(lines: list[str], start: int) -> tuple[_Directive, int] | None:
    """Parse the directive opening at ``lines[start]``; return it and the index after its closing fence."""
    opening = _FENCE_OPEN.match(lines[start])
    if not opening:
        return None
    fence = opening.group("fence")
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    end = start + 1
    while end < len(lines) and not closing.match(lines[end]):
        end += 1
    inner = lines[start + 1 : end]
    options: dict[str, str] = {}
    if inner and inner[0].strip() == "---":  # YAML options block
        stop = next((i for i in range(1, len(inner)) if inner[i].strip() == "---"), 0)
        for line in inner[1:stop]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        inner = inner[stop + 1 :]
    else:
        while inner and _OPTION.match(inner[0]):
            found = _OPTION.match(inner[0])
            assert found is not None
            options[found.group("key")] = found.group("value").strip()
            inner = inner[1:]
    body = "\n".join(inner).strip("\n")
    return _Directive(opening.group("name"), opening.group("args").strip(), options, body), min(end + 1, len(lines))


def _quote(title: str, body: str) -> str:
    text = (f"**{title}**\n\n" if title else "") + body
    return "\n".join(("> " + line).rstrip() for line in text.splitlines())


def _render_directive(directive: _Directive, facts: BuildFacts, state: _CellState) -> str:
    name, argument, body = directive.name, directive.argument, directive.body
    if name == "literalinclude":
        code = facts.include(argument, directive.options).rstrip("\n")
        language = directive.options.get("language", "python")
        return f"```{language}\n{code}\n```"
    if name in ("code-block", "code", "sourcecode"):
        return f"```{argument}\n{body}\n```"
    if name == "math":
        return f"$$\n{body}\n$$"
    if name in _DROPPED_DIRECTIVES:
        if name == "solution-end":
            state.in_solution = False
        return ""
    inner = _convert_markdown(body, facts, state)
    classes = directive.options.get("class", "")
    if name == "admonition":
        return _quote(argument, inner)
    if name in _ADMONITION_TITLES:
        return _quote(_ADMONITION_TITLES[name] + (f": {argument}" if argument and name != "seealso" else ""), inner)
    if name in ("exercise", "exercise-start"):
        return _quote("Exercise" + (f": {argument}" if argument else ""), inner)
    if name == "solution-start":
        state.in_solution = "dropdown" in classes
        return "**Solution**" + (
            " (the cells below are folded; open them when you have tried)" if state.in_solution else ""
        )
    if name == "solution" or name in ("dropdown", "toggle") or "dropdown" in classes:
        summary = "Solution" if name == "solution" else (argument or "Show")
        if name == "solution" and "dropdown" not in classes:
            return _quote(summary, inner)
        return f"<details>\n<summary>{summary}</summary>\n\n{inner}\n\n</details>"
    if name in ("figure", "image"):
        return directive.options.get("alt", "") + ("\n\n" + inner if inner else "")
    return inner  # any other directive: its content, as Markdown


def _convert_directives(text: str, facts: BuildFacts, state: _CellState) -> str:
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    plain_fence: str | None = None  # inside an ordinary ``` code block: copy verbatim
    while index < len(lines):
        line = lines[index]
        if plain_fence is not None:
            out.append(line)
            if line.strip().startswith(plain_fence) and not line.strip().strip(plain_fence[0]):
                plain_fence = None
            index += 1
            continue
        parsed = _split_directive(lines, index)
        if parsed is not None:
            directive, index = parsed
            out.append(_render_directive(directive, facts, state))
            continue
        fence = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence:
            plain_fence = fence.group(1)
        out.append(line)
        index += 1
    return "\n".join(out)


# --- Markdown: roles, substitutions, labels -------------------------------------------------

_ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]*)`")
_EXPLICIT_TITLE = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


def _authors_year(keys: str, facts: BuildFacts, textual: bool) -> str:
    cited = []
    for key in (k.strip() for k in keys.split(",") if k.strip()):
        label = facts.citations.get(key, key)
        authors, _, year = label.rpartition(", ")
        cited.append(f"{authors} ({year})" if textual and authors else label)
    return ", ".join(cited) if textual else "(" + "; ".join(cited) + ")"


def _render_role(match: re.Match, facts: BuildFacts) -> str:
    name, content = match.group("name"), match.group("content")
    explicit = _EXPLICIT_TITLE.match(content)
    if name in ("cite", "cite:p", "cite:ps", "cite:alp"):
        return _authors_year(content, facts, textual=False)
    if name in ("cite:t", "cite:ts", "cite:ct"):
        return _authors_year(content, facts, textual=True)
    if name in ("glue:text", "glue", "glue:any", "glue:md"):
        key, _, spec = content.partition(":")
        value = facts.glue.get(key, key)
        if spec:
            try:
                return format(float(value), spec)
            except ValueError:
                return value
        return value
    if name == "math":
        return f"${content}$"
    if name in ("sub", "sup", "kbd"):
        return f"<{name}>{content}</{name}>"
    if name == "abbr":
        return content.split("(")[0].strip()
    if explicit:
        return explicit.group("title")
    if name in ("ref", "numref", "doc"):
        return facts.labels.get(content, content)
    if name == "eq":
        return f"({content})"
    if name == "download":
        return f"`{Path(content).name}`"
    if name in ("py:func", "func", "py:meth", "meth", "py:class", "class", "py:obj", "obj", "py:mod", "mod"):
        return f"`{content.lstrip('~')}`"
    return content  # term, label, and any other role: its text


_ANY_FENCE = re.compile(r"^ {0,3}(?P<marker>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to the parts of Markdown ``text`` outside code blocks and inline code.

    The content of a directive fence (```` ```{exercise} ````, ``:::{note}``) is prose and
    is changed; the content of a code fence (```` ```python ````) is not.
    """
    out: list[str] = []
    prose: list[str] = []
    open_fences: list[tuple[str, bool]] = []  # (marker, is it code?) of the fences still open

    def flush() -> None:
        if not prose:
            return
        # Roles and inline code, left to right, so that a role's backticks never open a code span.
        pieces = re.split(r"(\{[\w:-]+\}`[^`]*`|`[^`\n]+`)", "\n".join(prose))
        changed, text = [], ""
        for piece in pieces:
            if piece.startswith("`"):  # inline code: as it is
                changed += [change(text), piece]
                text = ""
            else:
                text += piece
        out.extend("".join([*changed, change(text)]).split("\n"))
        prose.clear()

    for line in text.split("\n"):
        fence = _ANY_FENCE.match(line)
        in_code = any(is_code for _, is_code in open_fences)
        if fence:
            marker, info = fence.group("marker"), fence.group("info").strip()
            top = open_fences[-1][0] if open_fences else ""
            closes = not info and top[:1] == marker[0] and len(marker) >= len(top)
            opens = not in_code and (info.startswith("{") or marker[0] != ":")
            if closes or opens:
                flush()
                if closes:
                    open_fences.pop()
                else:
                    open_fences.append((marker, not info.startswith("{")))
                out.append(line)
                continue
        if in_code:
            out.append(line)
        else:
            prose.append(line)
    flush()
    return "\n".join(out)


def _convert_inline(text: str, facts: BuildFacts) -> str:
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: facts.substitutions.get(m.group(1), m.group(0)), text)
    text = _ROLE.sub(lambda m: _render_role(m, facts), text)
    text = re.sub(r"^\([\w:.-]+\)=[ \t]*\n?", "", text, flags=re.MULTILINE)  # (label)= targets
    text = re.sub(r"(\$\$[ \t]*)\([\w:.-]+\)[ \t]*$", r"\1", text, flags=re.MULTILINE)  # $$ (label)
    return text


@dataclass
class _CellState:
    """What carries from one cell to the next: are we inside a folded, multi-cell solution?"""

    in_solution: bool = False


def _convert_markdown(text: str, facts: BuildFacts, state: _CellState) -> str:
    # Roles and substitutions first, outside code: their values may hold more Markdown.
    text = _outside_code(text, lambda part: _convert_inline(part, facts))
    text = _convert_directives(text, facts, state)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# --- code cells -----------------------------------------------------------------------------

_SYS_PATH_LINE = re.compile(
    r"^[ \t]*sys\.path\.(?:insert\(\s*0\s*,|append\()\s*(?:str\()?\s*(?:Path|pathlib\.Path)?\(?"
    r"\s*[\"'](?P<path>[^\"']+)[\"'].*$\n?",
    re.MULTILINE,
)
_PATH_LITERAL = re.compile(r"(?P<quote>[\"'])(?P<path>\.\.?/[^\"'\n]*)(?P=quote)")
_IMPORTED = re.compile(r"^[ \t]*(?:import|from)[ \t]+(?P<module>\w+)", re.MULTILINE)
_GLUE_IMPORT = re.compile(r"^from myst_nb import glue[^\n]*$", re.MULTILINE)
_GLUE_STAND_IN = '''def glue(name, value, display=True):
    """Outside the book, glue (which puts a value into the page's text) just shows it."""
    print(f"{name} = {value}")'''


def _inside(path: Path, folder: Path) -> bool:
    """Is ``path`` inside ``folder``, by its name (a linked folder of the repository counts as inside)?"""
    return Path(os.path.normpath(path)).is_relative_to(os.path.normpath(folder))


class _SupportFiles:
    """Files of the repository that the notebook's code loads, to be written next to it."""

    def __init__(self, facts: BuildFacts) -> None:
        self.facts = facts
        self.files: dict[str, Path] = {}  # name next to the notebook -> file in the repository
        self.module_dirs: list[Path] = []

    def rewrite(self, source: str) -> str:
        for found in _SYS_PATH_LINE.finditer(source):
            folder = self.facts.source_dir / found.group("path")
            if _inside(folder, self.facts.repository):
                self.module_dirs.append(folder)
        source = _SYS_PATH_LINE.sub(
            lambda m: "" if _inside(self.facts.source_dir / m.group("path"), self.facts.repository) else m.group(0),
            source,
        )
        source = _PATH_LITERAL.sub(self._local_name, source)
        return _GLUE_IMPORT.sub(_GLUE_STAND_IN, source)

    def _local_name(self, found: re.Match) -> str:
        target = self.facts.source_dir / found.group("path")
        if not _inside(target, self.facts.repository):
            return found.group(0)
        if target.is_file():
            self.files.setdefault(target.name, target)
        return found.group("quote") + target.name + found.group("quote")

    def add_imported_modules(self, sources: list[str]) -> None:
        """Every module the code imports from a folder it put on ``sys.path``, and what those import."""
        pending = [m.group("module") for source in sources for m in _IMPORTED.finditer(source)]
        while pending:
            module = pending.pop()
            for folder in self.module_dirs:
                path = folder / f"{module}.py"
                if path.is_file() and path.name not in self.files:
                    self.files[path.name] = path
                    pending.extend(m.group("module") for m in _IMPORTED.finditer(path.read_text(encoding="utf-8")))

    def cells(self) -> list[nbformat.NotebookNode]:
        if not self.files:
            return []
        names = " and ".join(", ".join(f"`{name}`" for name in self.files).rsplit(", ", 1))
        cells = [
            nbformat.v4.new_markdown_cell(
                f"This chapter's code loads {names} from the course repository. The folded cells below write "
                "them next to this notebook, so that it runs anywhere `minitorch` is installed."
            )
        ]
        for name, path in self.files.items():
            cell = nbformat.v4.new_code_cell(f"%%writefile {name}\n" + path.read_text(encoding="utf-8").rstrip("\n"))
            cell.metadata["jupyter"] = {"source_hidden": True}
            cells.append(cell)
        return cells


def third_party_imports(notebook: nbformat.NotebookNode) -> list[str]:
    """Top-level modules the notebook's code imports that are neither standard library nor written by it."""
    written = {
        cell.source.split()[1].removesuffix(".py")
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.source.startswith("%%writefile ")
    }
    modules = set()
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.source.startswith("%%writefile "):
            continue
        try:
            tree = ast.parse(re.sub(r"^[ \t]*[%!].*$", "", cell.source, flags=re.MULTILINE))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return sorted(modules - set(sys.stdlib_module_names) - written)


# --- the whole notebook ------------------------------------------------------------------------------

_PIP_NAMES = {"sklearn": "scikit-learn", "minitorch": "minitorch (this course's package)"}
_IN_EVERY_JUPYTER = {"IPython", "ipykernel"}


_GATED_SOLUTION = re.compile(
    r"(^ {0,3}(`{3,}|:{3,})\{solution-(?:start|end)\}[^\n]*\n(?:.*\n)*?^ {0,3}\2[ \t]*$)", re.MULTILINE
)


def _split_at_gated_solutions(cells: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Markdown cells cut before and after each ``solution-start`` / ``solution-end``.

    A gated solution spans cells; the prose before its start (the exercise) and after its
    end must not be folded with it, so each of those markers gets a cell of its own.
    """
    out = []
    for cell in cells:
        if cell.cell_type != "markdown" or not _GATED_SOLUTION.search(cell.source):
            out.append(cell)
            continue
        pieces = _GATED_SOLUTION.split(cell.source + "\n")
        # re.split also returns the inner group (the fence marker) after each match: drop it.
        for index, piece in enumerate(pieces):
            if index % 3 != 2 and piece.strip():
                out.append(nbformat.v4.new_markdown_cell(piece.strip("\n"), metadata=copy.deepcopy(cell.metadata)))
    return out


def convert(notebook: nbformat.NotebookNode, facts: BuildFacts) -> nbformat.NotebookNode:
    """The reader's copy of an executed MyST notebook (the input is not modified)."""
    result = copy.deepcopy(notebook)
    support = _SupportFiles(facts)
    state = _CellState()
    cells = []
    for cell in _split_at_gated_solutions(result.cells):
        if cell.cell_type == "markdown":
            was_in_solution = state.in_solution
            cell.source = _convert_markdown(cell.source, facts, state)
            hide = was_in_solution and state.in_solution
            if not cell.source.strip():
                continue
        elif cell.cell_type == "code":
            if "remove-cell" in cell.metadata.get("tags", []):
                continue  # the build's own checks of the text, never shown on the page
            cell.source = support.rewrite(cell.source)
            hide = state.in_solution
        else:
            hide = False
        if hide:
            cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
        cells.append(cell)
    support.add_imported_modules([cell.source for cell in cells if cell.cell_type == "code"])
    title = cells[:1] if cells and cells[0].cell_type == "markdown" else []
    result.cells = [*title, *support.cells(), *cells[len(title) :]]
    needs = [
        _PIP_NAMES.get(module, module) for module in third_party_imports(result) if module not in _IN_EVERY_JUPYTER
    ]
    preface = nbformat.v4.new_markdown_cell(
        "*This notebook is a chapter of the book, with every listing included. It needs "
        + ", ".join(needs or ["only the standard library"])
        + "; run it from top to bottom.*"
    )
    result.cells.insert(len(title), preface)
    if facts.install_from:
        result.cells.insert(
            len(title) + 1,
            nbformat.v4.new_code_cell(
                "# On Binder or Colab, minitorch may be missing: install it from the course's repository.\n"
                "import importlib.util\n\n"
                'if importlib.util.find_spec("minitorch") is None:\n'
                f'    get_ipython().run_line_magic("pip", "install --quiet git+{facts.install_from}")'
            ),
        )
    result.metadata.pop("source_map", None)
    result.metadata.pop("jupytext", None)
    return result
