"""Which files a widget's bundle holds, and the check that none of them looks like a secret.

A bundle goes to every visitor of a page with the widget, so it holds only what the browser
needs. Names are relative to the folder on ``sys.path`` that holds the widget's module (its
"root"), as the worker unpacks them:

- the widget's module and the modules of the app it imports, transitively: the import
  statements of each (read with ``ast``, relative ones too, wherever they are in the file) that
  name a module found in the same root; never the standard library or installed packages. The
  ``__init__.py`` files of their packages come too, and their imports are followed as well;
- the files that the classes of those modules name with ``_esm``/``_css`` Paths (also through a
  ``MimeBundleDescriptor`` or ``@anywidget.experimental.widget``);
- the data the modules declare: ``_fhaw_assets = ["data/", "shaders/*.glsl"]``, a literal list at
  module level or in a class, relative to the module's folder (a file, a folder, or a glob);
- the host's ``include=`` patterns, relative to the root (``"myapp/data/"``), minus its
  ``exclude=`` patterns. Folders and globs leave out hidden files, ``__pycache__`` and ``*.pyc``
  (a glob's part that starts with a dot, ``".env*"``, matches hidden files), and do not follow
  symbolic links to folders.

A file that looks like a secret (:func:`secret_reason`) is refused, naming it, unless
``include=`` or ``_fhaw_assets`` names that very file (then it is taken to be public). So is a
symbolic link that a folder or glob reaches, and, even if named, a data file whose real path is
outside the root (:func:`link_problem`).
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType


class BundleError(ValueError):
    """A module that cannot be shipped to the worker; the message says what to do."""


ASSETS_NAME = "_fhaw_assets"
NEVER_FOLLOWED = frozenset({"__future__", "fh_anywidget", "anywidget"})
"""Imports never followed into a bundle (the worker has them)."""
SECRET_NAME = re.compile(r"secret|password|passwd|token(?!s|iz)|api_?key|(?:^|_)(?:(?:private|access|signing)_key|credentials?)(?:_|$)",
                         re.I)
"""A Python name (or keyword, or dict key) that a string literal must not be given, in any case: containing SECRET,
PASSWORD, PASSWD, TOKEN (not TOKENS, TOKENIZER: a tokenizer's tables are no secret), API_KEY or APIKEY, or with
PRIVATE_KEY, ACCESS_KEY, SIGNING_KEY or CREDENTIAL(S) as a part."""
FETCH_CREDENTIALS = frozenset({"omit", "same-origin", "include"})
"""fetch()'s credentials= modes (pyfetch(url, credentials="include")): not secrets."""
TOKENS = (
    (re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), "a private key, -----BEGIN ... PRIVATE KEY-----"),
    (re.compile(rb"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id, AKIA..."),
    (re.compile(rb"\b[rs]k_live_[0-9A-Za-z]{16,}"), "a Stripe live secret key, sk_live_..."),
    (re.compile(rb"\b(?:gh[pousr]_[0-9A-Za-z]{20,}|github_pat_[0-9A-Za-z_]{20,})"), "a GitHub token, ghp_..."),
    (re.compile(rb"\bxox[abprs]-[0-9]+-[0-9A-Za-z-]{10,}"), "a Slack token, xox.-..."),
)
"""Secrets by their format, in any file: (pattern, what it is)."""
SECRET_FILES = frozenset({"credentials", "netrc", ".netrc", "_netrc", "htpasswd", ".htpasswd", ".pgpass", ".git-credentials"})
KEY_FILES = (".pem", ".key")
KEY_STORES = (".p12", ".pfx", ".jks", ".keystore", ".kdbx")
SSH_KEYS = ("id_rsa", "id_ed25519", "id_ecdsa", "id_dsa")
CONFIG_FILES = (".json", ".toml", ".yaml", ".yml", ".ini", ".cfg", ".conf")
CONFIG_PAIR = re.compile(r"""(?:^[ \t]*(?:-[ \t]+)?([A-Za-z_][\w.-]*)|(?:^|(?<=[\s{,]))["']([A-Za-z_][\w.-]*)["'])"""
                         r"""[ \t]*[:=][ \t]*("[^"\n]*"|'[^'\n]*'|[^\s"',#;{}\[\]][^\n,#;}]*)""", re.M)
"""``key: value`` or ``key = value`` at the start of a line, or ``"key": "value"`` anywhere, in a config file
(JSON, TOML, YAML, INI): (key, quoted key, value)."""
CONFIG_SECRET = re.compile(r"(?:^|_)(?:(?:api|private|access|secret|signing)_?key|secret|password|passwd|token|credentials?)$")
"""A config key (in snake case) that ends in a secret's name: api_key, db_password, aws_secret_access_key, githubToken."""
PLACEHOLDER = re.compile(r"""(?i)^(?:null|none|nil|true|false|yes|no|on|off)$|^(?:\$|%\(|\{\{|<.*>$|\[.*\]$)|^[^a-z]*$""")
"""A config value that is no secret: empty, null, a boolean, a number, ${VAR}, %(var)s, {{ var }}, <placeholder>, [UNK]."""
DSN = re.compile(rb"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"<>]+:[^\s/@'\"<>]+@[^\s/'\"<>]+")
_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class ShipRules:
    """The host's ``include=``/``exclude=``: patterns relative to a bundle's root."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> ShipRules:
        for kind, patterns in (("include", include), ("exclude", exclude)):
            for pattern in patterns:
                if not isinstance(pattern, str) or not _pattern_ok(pattern):
                    raise BundleError(
                        f"[fh-anywidget] {kind}={pattern!r}: give paths relative to the folder on sys.path that holds "
                        "your widget modules, starting with a folder or file name (no wildcard there), as "
                        "`fh-anywidget dist` prints them: e.g. 'myapp/data/', 'myapp/settings.py', 'myapp/**/*.csv'")
        return cls(tuple(include), tuple(exclude))


def _pattern_ok(pattern: str) -> bool:
    parts = pattern.rstrip("/").split("/")
    return not pattern.startswith("/") and not {"", ".", ".."} & set(parts) and not _MAGIC.search(parts[0])


@dataclass(frozen=True)
class Shipped:
    """One file of a bundle: its name in the zip, the file, why it ships."""

    name: str
    path: Path
    why: str
    explicit: bool = False
    """Named, as this very file, by include= or _fhaw_assets: it ships even if it looks like a secret."""
    module: str = ""
    """The module it is, for a module of the widget's imports."""
    by: str = ""
    line: int = 0
    """The module that first imports it, and the line (0: it is a package of ``by``)."""


@dataclass(frozen=True)
class Selection:
    """What ships for one widget module."""

    module: str
    root: Path
    files: tuple[Shipped, ...]
    modules: tuple[str, ...]
    """The modules among the files (whose reload invalidates the choice: their classes name files)."""
    deps: tuple[Path, ...]
    """The files and folders the choice was made from (their change invalidates it)."""


# ---------------------------------------------------------------- the modules


def source_root(module: ModuleType) -> tuple[Path, Path]:
    """(the folder on sys.path that holds ``module``, its file)."""
    file = getattr(module, "__file__", None)
    if not file:
        raise BundleError(f"[fh-anywidget] module {module.__name__!r} has no file to ship to the browser")
    path = Path(file).absolute()
    parts = module.__name__.split(".")
    is_pkg = path.stem == "__init__"
    folders = parts if is_pkg else parts[:-1]
    up = path.parent
    for part in reversed(folders):
        if up.name != part:
            break
        up = up.parent
    else:
        if is_pkg or path.stem == parts[-1]:
            return up, path
    raise BundleError(f"[fh-anywidget] module {module.__name__!r} comes from {path}, which is not where a folder on "
                      "sys.path puts that name; import the widget's module by the name its folders give it")


def _module_file(root: Path, dotted: str) -> Path | None:
    """The file of module ``dotted`` in ``root`` (a package's __init__.py first, as Python looks)."""
    if dotted.split(".")[0] in NEVER_FOLLOWED or dotted.split(".")[0] in sys.stdlib_module_names:
        return None
    base = root.joinpath(*dotted.split("."))
    for candidate in (base / "__init__.py", base.with_name(base.name + ".py")):
        if candidate.is_file():
            loaded = getattr(sys.modules.get(dotted), "__file__", None)
            if loaded and Path(loaded).absolute() != candidate:
                return None  # the server imports it from elsewhere (an installed copy)
            return candidate
    return None


def _imports(tree: ast.AST, package: str) -> Iterable[tuple[str, int]]:
    """(module name, line) for each module an import statement may load; ``package`` is the one
    that relative imports are relative to."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 > len(parts):
                    continue
                base = ".".join([*parts[: len(parts) - node.level + 1], *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if not base:
                continue
            yield base, node.lineno
            for alias in node.names:
                if alias.name != "*":
                    yield f"{base}.{alias.name}", node.lineno


def module_closure(root: Path, name: str, file: Path) -> tuple[dict[str, tuple[Path, ast.Module | None]],
                                                              dict[str, tuple[str, int]], list[Path]]:
    """The modules that importing ``name`` may import from ``root``: ({module: (file, its syntax
    tree)}, {module: (the module that first imports it, line; 0 for a package of it)}, the folders)."""
    found: dict[str, tuple[Path, ast.Module | None]] = {}
    importer: dict[str, tuple[str, int]] = {}
    folders: set[Path] = set()
    queue = [name]
    while queue:
        dotted = queue.pop(0)
        if dotted in found:
            continue
        path = file if dotted == name else _module_file(root, dotted)
        if path is None:
            continue
        folders.add(path.parent)
        parts = dotted.split(".")
        wanted = [(".".join(parts[:i]), 0) for i in range(1, len(parts))]  # its packages' __init__.py
        package = dotted if path.stem == "__init__" else ".".join(parts[:-1])
        try:
            tree: ast.Module | None = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            tree = None  # shipped as it is; the worker reports the error
        found[dotted] = (path, tree)
        if tree is not None:
            wanted += list(_imports(tree, package))
        for other, line in wanted:
            if other not in found:
                importer.setdefault(other, (dotted, line))
                queue.append(other)
    return found, importer, sorted(folders)


# ---------------------------------------------------------------- the files they name


def _paths_in(value: object) -> list[Path]:
    if isinstance(value, Path):
        return [value]
    inner = getattr(value, "_path", None)  # anywidget turns a Path into FileContents(_path=...)
    if isinstance(inner, Path):
        return [inner]
    state = getattr(value, "_extra_state", None)  # MimeBundleDescriptor, @anywidget.experimental.widget
    if isinstance(state, dict):
        return [p for v in state.values() for p in _paths_in(v)]
    return []


def widget_paths(module: ModuleType) -> list[tuple[Path, str]]:
    """(file, which class attribute names it) for the ``_esm``/``_css`` Paths of the module's classes."""
    found = []
    for value in list(vars(module).values()):
        if isinstance(value, type) and value.__module__ == module.__name__:
            for attr in ("_esm", "_css", "_repr_mimebundle_"):
                for path in _paths_in(value.__dict__.get(attr)):
                    found.append((path if path.is_absolute() else Path.cwd() / path, f"{attr} of {value.__name__}"))
    return found


def static_widget_paths(tree: ast.Module, file: Path) -> list[tuple[Path, str]]:
    """What :func:`widget_paths` finds, read from the source of a module the server has not
    imported (one the widget imports lazily): ``_esm``/``_css`` of its classes given as
    ``Path(__file__).parent / "x.js"``, directly or through module-level names such as ``HERE``."""

    def value(node: ast.AST, names: dict[str, Path]) -> Path | None:
        if isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.args[0], ast.Name) \
                and node.args[0].id == "__file__" and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Path":
            return file
        if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("resolve", "absolute"):
            return value(node.func.value, names)
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = value(node.value, names)
            return inner.parent if inner else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant) \
                and isinstance(node.right.value, str):
            inner = value(node.left, names)
            return inner / node.right.value if inner else None
        return names.get(node.id) if isinstance(node, ast.Name) else None

    names: dict[str, Path] = {}
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            path = value(node.value, names)
            if path is not None:
                names[node.targets[0].id] = path
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name) \
                        and item.targets[0].id in ("_esm", "_css"):
                    path = value(item.value, names)
                    if path is not None and path.is_file():
                        found.append((path, f"{item.targets[0].id} of {node.name}"))
    return found


def declared_assets(tree: ast.Module, module: str) -> list[tuple[str, str]]:
    """(entry, where) for each ``_fhaw_assets`` entry at module level or in a class of the module."""
    found = []
    classes = [(f"{module}.{node.name}", node.body) for node in tree.body if isinstance(node, ast.ClassDef)]
    for owner, body in [(module, tree.body), *classes]:
        for node in body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            if not any(isinstance(t, ast.Name) and t.id == ASSETS_NAME for t in targets) or node.value is None:
                continue
            try:
                entries = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError):
                entries = None
            if not isinstance(entries, (list, tuple)) or not all(isinstance(e, str) and e for e in entries):
                raise BundleError(f"[fh-anywidget] {owner}.{ASSETS_NAME} (line {node.lineno}) must be a literal list of "
                                  "paths relative to the module's folder, e.g. _fhaw_assets = ['data/', 'shaders/x.glsl']")
            found += [(entry, owner) for entry in entries]
    return found


# ---------------------------------------------------------------- patterns


def _hidden(part: str) -> bool:
    return part.startswith(".")


def _walk(root: Path, base: str, folders: list[Path], pattern: str | None = None) -> list[str]:
    """The files below ``root/base`` as root-relative names, without caches: those ``pattern``
    matches, or, without one, all but hidden ones. Symbolic links to folders are not followed but
    listed by their own names (for :func:`refuse_secrets` to refuse: see :func:`link_problem`)."""

    def wanted(name: str, folder: bool) -> bool:
        if pattern is None:
            return not _hidden(name.rsplit("/", 1)[-1])
        return could_hold(name, pattern) if folder else matches(name, pattern)

    if base and (root / base).is_symlink():
        return [base]
    out = []
    for top, dirs, files in os.walk(root / base):
        folders.append(Path(top))
        rel = Path(top).relative_to(root).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and wanted(prefix + d, True))
        out += [prefix + d for d in dirs if os.path.islink(os.path.join(top, d))]  # os.walk does not go in
        out += [prefix + f for f in files if not f.endswith(".pyc") and wanted(prefix + f, False)]
    return sorted(out)


def _segments_match(names: Sequence[str], pattern: Sequence[str], hidden_ok: bool) -> bool:
    if not pattern:
        return not names
    if pattern[0] == "**":
        return any(_segments_match(names[k:], pattern[1:], hidden_ok) for k in range(len(names) + 1)
                   if hidden_ok or not any(map(_hidden, names[:k])))
    return bool(names) and (hidden_ok or not _hidden(names[0]) or _hidden(pattern[0])) and \
        fnmatch.fnmatchcase(names[0], pattern[0]) and _segments_match(names[1:], pattern[1:], hidden_ok)


def matches(name: str, pattern: str, hidden_ok: bool = False) -> bool:
    """``name`` is ``pattern``, is in the folder ``pattern`` names, or is matched by its glob
    (``*`` within one folder, ``**`` across folders; wildcards skip hidden names)."""
    names, parts = name.split("/"), pattern.rstrip("/").split("/")
    return any(_segments_match(names[:k], parts, hidden_ok) and (hidden_ok or not any(map(_hidden, names[k:])))
               for k in range(1, len(names) + (0 if pattern.endswith("/") else 1)))


def could_hold(folder: str, pattern: str) -> bool:
    """The folder ``folder`` may hold files that ``pattern`` matches: it is on the way to them, or it
    is (or is in) a folder that ``pattern`` matches."""
    names, parts = folder.split("/"), pattern.rstrip("/").split("/")
    return any(_segments_match(names, parts[:k], False) for k in range(1, len(parts) + 1)) or matches(folder, pattern)


def expand(root: Path, pattern: str, folders: list[Path]) -> list[tuple[str, bool]]:
    """(name, named exactly) for the files ``pattern`` (root-relative: a file, a folder, or a glob,
    ``*`` within one folder, ``**`` across folders, as :func:`matches` reads it) stands for. A
    folder or glob does not follow symbolic links to folders (:func:`_walk`)."""
    plain = pattern.rstrip("/")
    if not _MAGIC.search(plain):
        path = root / plain
        if path.is_file() and not pattern.endswith("/"):
            return [(plain, True)]
        return [(n, False) for n in _walk(root, plain, folders)] if path.is_dir() else []
    parts = plain.split("/")
    base = "/".join(parts[: next(i for i, p in enumerate(parts) if _MAGIC.search(p))])
    folders.append(root / base)
    return [(n, False) for n in _walk(root, base, folders, pattern)]


# ---------------------------------------------------------------- secrets


def secret_reason(name: str, data: bytes) -> str | None:
    """Why the file ``name`` (a bundle name) with content ``data`` looks like a secret, or None: its
    name (:func:`secret_file_name`), a secret of a known format in it (:func:`secret_token`), a
    Python module's literal for a secret's name (:func:`secret_assignment`), a config file's value
    for a secret's key (:func:`secret_setting`), or a URL with a password."""
    lower = name.rsplit("/", 1)[-1].lower()
    reason = secret_file_name(lower) or secret_token(data)
    if reason is None and lower.endswith(".py"):
        found = secret_assignment(data)
        reason = f"it assigns a string to {found[0]}, line {found[1]}" if found else None
    if reason is None and lower.endswith(CONFIG_FILES):
        found = secret_setting(data)
        reason = f"it gives {found[0]} a value, line {found[1]}" if found else None
    dsn = DSN.search(data) if reason is None else None
    if dsn:
        url = dsn.group(0).decode("utf-8", "replace")
        scheme, _, rest = url.partition("://")
        reason = f"it holds a URL with a password, {scheme}://{rest.split(':', 1)[0]}:***@..., line {_line(data, dsn.start())}"
    return reason


def secret_file_name(lower: str) -> str | None:
    """Why a file named ``lower`` (lower case, no folder) is a secret by its name alone, or None."""
    if lower.startswith(".env") or lower.endswith(".env"):
        return "a .env file"
    if lower.endswith(KEY_FILES):
        return f"a private key's file name, *{lower[lower.rindex('.'):]}"
    if lower.endswith(KEY_STORES):
        return f"a key store's file name, *{lower[lower.rindex('.'):]}"
    ssh = next((prefix for prefix in SSH_KEYS if lower.startswith(prefix)), None)
    if ssh:
        return f"an SSH key's file name, {ssh}*"
    return f"a credentials file's name, {lower}" if lower in SECRET_FILES else None


def secret_token(data: bytes) -> str | None:
    """What secret of a known format (a private key, an AWS key id, a Stripe, GitHub or Slack token)
    ``data`` holds, and on which line, or None."""
    found = [(match.start(), what) for pattern, what in TOKENS for match in [pattern.search(data)] if match]
    if not found:
        return None
    start, what = min(found)
    return f"it holds {what}, line {_line(data, start)}"


def _line(data: bytes | str, offset: int) -> int:
    return data[:offset].count(b"\n" if isinstance(data, bytes) else "\n") + 1


def secret_setting(data: bytes) -> tuple[str, int] | None:
    """(key, line) of the first key of a config file (JSON, TOML, YAML, INI) that names a secret
    (api_key, password, client_secret, ...) and has a value that is not empty nor a placeholder."""
    text = data.decode("utf-8", "replace")
    for found in CONFIG_PAIR.finditer(text):
        key, value = found.group(1) or found.group(2), found.group(3).strip().strip("\"'").strip()
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower().replace("-", "_").replace(".", "_")
        if CONFIG_SECRET.search(snake) and not PLACEHOLDER.search(value):
            return key, _line(text, found.start(3))
    return None


def secret_assignment(source: bytes) -> tuple[str, int] | None:
    """(name, line) of the first name like SECRET, PASSWORD, TOKEN or API_KEY given a string literal
    (by an assignment, a keyword argument, a dict key or a lookup's default), or None."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        for name, value in _bindings(node):
            if name and SECRET_NAME.search(name) and _holds_literal(value) and not _fetch_mode(name, value):
                return name, getattr(value, "lineno", 0) or getattr(node, "lineno", 0)
    return None


def _bindings(node: ast.AST) -> list[tuple[str | None, ast.AST | None]]:
    """(name, value) for what ``node`` gives a value to: the targets of an assignment (plain,
    annotated, augmented, :=), keyword arguments, dict keys, and a lookup's default
    (``os.getenv("X", "dev")``: X gets "dev")."""
    if isinstance(node, ast.Assign):
        return [pair for target in node.targets for pair in _targets(target, node.value)]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        return _targets(node.target, node.value)
    if isinstance(node, ast.Dict):
        return [(k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None, v)
                for k, v in zip(node.keys, node.values)]
    if not isinstance(node, ast.Call):
        return []
    pairs: list[tuple[str | None, ast.AST | None]] = [(k.arg, k.value) for k in node.keywords]
    if _environ_lookup(node) and len(node.args) == 2 and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        pairs.append((node.args[0].value, node.args[1]))
    return pairs


def _targets(target: ast.AST, value: ast.AST | None) -> list[tuple[str | None, ast.AST | None]]:
    """(name, value) pairs of one assignment target (``USER, PASSWORD = "u", "p"`` pairs them up)."""
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _targets(t, v)]
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, ast.Attribute):
        return [(target.attr, value)]
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
        return [(target.slice.value, value)]
    return [(None, value)]


def _environ_lookup(call: ast.Call) -> bool:
    """``call`` is ``os.getenv(...)`` or ``os.environ.get(...)`` (or its setdefault, pop): its second argument is a default."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "getenv"
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value.attr if isinstance(func.value, ast.Attribute) else getattr(func.value, "id", "")
    return func.attr == "getenv" or func.attr in ("get", "setdefault", "pop") and owner == "environ"


def _holds_literal(node: ast.AST | None) -> bool:
    """``node``, a value, has a string literal in it (with a letter or digit, or bytes) that may be
    the value or a part of it: ``"s3cr3t"``, ``"tok_" + x``, ``f"{'pw'}"``, ``x or "dev"``,
    ``("user", "pw")``, ``os.getenv("X", "dev")``; not a name something is looked up by
    (``os.environ["X"]``, ``os.getenv("X")``, ``read_secret("db")``, ``folder / "token.txt"``), nor
    what a comparison or a lambda holds."""
    if node is None or isinstance(node, (ast.Compare, ast.Lambda)):
        return False
    if isinstance(node, ast.Constant):
        value = node.value
        return isinstance(value, bytes) and bool(value) or isinstance(value, str) and any(c.isalnum() for c in value)
    if isinstance(node, ast.Subscript):
        return _holds_literal(node.value)
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add):
        return False
    if isinstance(node, ast.Call):
        defaults = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "default")] \
            if _environ_lookup(node) else []
        return any(map(_holds_literal, [node.func, *defaults]))
    if isinstance(node, ast.Dict):
        return any(map(_holds_literal, node.values))
    if isinstance(node, ast.FormattedValue):
        return _holds_literal(node.value)
    return any(map(_holds_literal, ast.iter_child_nodes(node)))


def _fetch_mode(name: str, value: ast.AST | None) -> bool:
    """``credentials="include"``: fetch()'s option, not a secret."""
    return name.lower() == "credentials" and isinstance(value, ast.Constant) and value.value in FETCH_CREDENTIALS


# ---------------------------------------------------------------- the choice


_cache: dict[tuple[str, Path, ShipRules], tuple[tuple, Selection]] = {}


def _signature(selection: Selection) -> tuple:
    def stat(path: Path) -> tuple[int, int]:
        try:
            st = path.stat()
        except OSError:
            return (-1, -1)
        return (st.st_mtime_ns, st.st_size)

    return tuple(map(stat, selection.deps)), tuple(id(sys.modules.get(m)) for m in selection.modules)


def select(module: ModuleType, rules: ShipRules = ShipRules()) -> Selection:
    """The files that ship with ``module`` (cached until one of the files or folders it was chosen
    from changes). Raises BundleError naming any that looks like a secret."""
    root, file = source_root(module)
    key = (module.__name__, file, rules)
    cached = _cache.get(key)
    if cached is not None and cached[0] == _signature(cached[1]):
        return cached[1]
    selection = _select(module.__name__, root, file, rules)
    refuse_secrets(selection)
    _cache[key] = (_signature(selection), selection)
    return selection


def _select(name: str, root: Path, file: Path, rules: ShipRules) -> Selection:
    modules, importer, folders = module_closure(root, name, file)
    real_root = root.resolve()
    files: dict[str, Shipped] = {}

    def add(rel: str, why: str, explicit: bool = False, path: Path | None = None) -> None:
        if rel in files:
            if explicit and not files[rel].explicit:
                files[rel] = replace(files[rel], explicit=True)
            return
        files[rel] = Shipped(rel, path or root / rel, why, explicit)

    for dotted, (path, tree) in modules.items():
        by, line = importer.get(dotted, ("", 0))
        why = "the widget's module" if dotted == name else f"imported by {by}, line {line}" if line else f"the package of {by}"
        rel = path.relative_to(root).as_posix()
        files[rel] = Shipped(rel, path, why, module=dotted, by=by if dotted != name else "", line=line)
        loaded = sys.modules.get(dotted)
        if loaded is not None and getattr(loaded, "__file__", None) and Path(loaded.__file__).absolute() == path:
            named = widget_paths(loaded)
        else:
            named = static_widget_paths(tree, path) if tree is not None else []
        for asset, attr in named:
            try:
                rel = asset.resolve().relative_to(real_root).as_posix()
            except ValueError:
                if "." in dotted or path.stem == "__init__":
                    continue  # a package module's file elsewhere: the module makes it itself (or fails)
                raise BundleError(
                    f"[fh-anywidget] {dotted} names {asset}, which is outside its folder {path.parent}; keep a "
                    "widget's _esm/_css files beside its module (or make the module a package)") from None
            add(rel, attr, path=asset)
        for entry, owner in declared_assets(tree, dotted) if tree is not None else []:
            full = Path(os.path.normpath(path.parent / entry))
            try:
                pattern = full.relative_to(root).as_posix() + ("/" if entry.endswith("/") else "")
            except ValueError:
                raise BundleError(f"[fh-anywidget] {owner}.{ASSETS_NAME} names {entry!r}, which is outside {root}, the "
                                  "folder on sys.path that holds the module; keep the widget's data inside it") from None
            shipped = expand(root, pattern, folders)
            if not shipped:
                raise BundleError(f"[fh-anywidget] {owner}.{ASSETS_NAME} names {entry!r}, but nothing in {path.parent} "
                                  "matches it (the entries are relative to the module's folder); fix the name or drop it")
            for rel, exact in shipped:
                add(rel, f"{ASSETS_NAME} of {owner}: {entry!r}", exact)
    for pattern in rules.include:
        if not (root / pattern.split("/")[0]).exists():
            continue  # for the widget modules of another folder
        shipped = expand(root, pattern, folders)
        if not shipped:
            raise BundleError(f"[fh-anywidget] include={pattern!r} matches no file in {root}; include= paths are relative "
                              "to the folder on sys.path that holds the widget's module, as `fh-anywidget dist` prints them")
        for rel, exact in shipped:
            add(rel, f"include={pattern!r}", exact)
    kept = [f for rel, f in sorted(files.items()) if not any(matches(rel, p, hidden_ok=True) for p in rules.exclude)]
    deps = sorted({*folders, *(f.path for f in kept), *(p for p, _ in modules.values())})
    return Selection(name, root, tuple(kept), tuple(modules), tuple(deps))


def refuse_secrets(selection: Selection) -> None:
    """Raise BundleError naming every file of ``selection`` that must not ship: one that looks like
    a secret and was not included by its own name, or a symbolic link that :func:`link_problem`
    refuses."""
    problems = []
    for shipped in selection.files:
        problem = link_problem(selection, shipped)
        if problem is None and not shipped.explicit:
            reason = secret_reason(shipped.name, shipped.path.read_bytes())
            problem = _secret_message(selection, shipped, reason) if reason else None
        if problem:
            problems.append(problem)
    if problems:
        raise BundleError("\n".join(problems))


def _first_link(root: Path, name: str) -> str | None:
    """The first of ``name``'s folders, or ``name`` itself, that is a symbolic link (root-relative)."""
    parts = name.split("/")
    return next(("/".join(parts[:i]) for i in range(1, len(parts) + 1) if root.joinpath(*parts[:i]).is_symlink()), None)


def link_problem(selection: Selection, shipped: Shipped) -> str | None:
    """Why the data file ``shipped`` must not ship, or None: it leads, through a symbolic link, out of
    the bundle's root (even if named by its own path), or a folder or glob reached it through a
    link. (A module is shipped as Python imports it.)"""
    if shipped.module:
        return None
    root, name = selection.root, shipped.name
    link = _first_link(root, name)
    target = shipped.path.resolve()
    kind = "folder" if target.is_dir() else "file"
    head = (f"[fh-anywidget] {name} is a symbolic link to the {kind} {target}" if link in (None, name) else
            f"[fh-anywidget] {name} is reached through {link}, a symbolic link to {(root / link).resolve()}")
    where = f"so it cannot ship with {selection.module} ({shipped.why})"
    if not target.is_relative_to(root.resolve()):
        return (f"{head}, outside {root} (the folder on sys.path that the bundle is relative to), {where}: nothing "
                f"from outside that folder goes to the browser. If the browser needs the {kind}, copy it into {root}; "
                f"otherwise remove the link, or leave it out with AnyWidgetHost(app, exclude=[{link or name!r}]).")
    if link is None or shipped.explicit:
        return None
    real = target.relative_to(root.resolve()).as_posix() + "/" if kind == "folder" else name
    return (f"{head}, and a folder or glob does not ship what a link leads to, {where}. If the browser needs it, "
            f"include it by its own path: AnyWidgetHost(app, include=[{real!r}]); otherwise remove the link, or "
            f"leave it out with AnyWidgetHost(app, exclude=[{name!r}]).")


def _secret_message(selection: Selection, shipped: Shipped, reason: str) -> str:
    name, start = shipped.name, selection.module
    public = f"If it is not a secret, include the file by its name: AnyWidgetHost(app, include=[{name!r}])."
    move = ("read it from the environment (os.environ), or keep it in a module that "
            f"{start} does not import (a settings.py that only the server imports)")
    if shipped.module == start:
        return (f"[fh-anywidget] {name} looks like it holds a secret ({reason}), and it is the module of the widget, "
                f"which every visitor's browser gets. Move the secret out of the module the browser needs: {move}. {public}")
    if shipped.module:
        return (f"[fh-anywidget] {name} looks like it holds a secret ({reason}), and the browser needs it: "
                f"{_chain(selection, shipped)}, so it would ship to every visitor's browser. Move the secret out of the "
                f"modules the widget imports: {move}. {public}")
    return (f"[fh-anywidget] {name} looks like a secret ({reason}) and would ship to every visitor's browser with {start} "
            f"({shipped.why}). Move it out of there, or leave it out with AnyWidgetHost(app, exclude=[{name!r}]). {public}")


def _chain(selection: Selection, shipped: Shipped) -> str:
    """How the widget's module comes to import ``shipped``: 'a imports b (a.py, line 3), which ...'."""
    by_module = {f.module: f for f in selection.files if f.module}
    steps, current = [], shipped
    while current.by and len(steps) < len(by_module):
        parent = by_module.get(current.by)
        where = f" ({parent.name}, line {current.line})" if parent else ""
        steps.append(f"{current.by} imports {current.module}{where}" if current.line else
                     f"{current.module} is the package of {current.by}")
        if parent is None:
            break
        current = parent
    return ", and ".join(reversed(steps))


def describe(selection: Selection, label: str) -> list[str]:
    """The lines `fh-anywidget dist` and `build` print for a bundle: a head line, then each file
    with its size and why it ships."""
    sizes = {f.name: f.path.stat().st_size for f in selection.files}
    width = max((len(n) for n in sizes), default=0)
    lines = [f"{label}: {len(sizes)} files, {sum(sizes.values()) / 1024:.1f} KB"]
    lines += [f"  {f.name:<{width}}  {sizes[f.name] / 1024:6.1f} KB  {f.why}" for f in selection.files]
    return lines
