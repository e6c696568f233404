"""What a worker-mode widget's bundle holds: the widget's module, the app modules it imports, the
files its widgets name and its declared assets; never a file that looks like a secret, unless it
is included by its own name. `fh-anywidget dist` and `build` print each bundle's files."""

from __future__ import annotations

import importlib
import io
import json
import sys
import textwrap
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from fasthtml.common import fast_app

from fh_anywidget import AnyWidgetHost, WidgetSpecError, cli
from fh_anywidget.bundles import app_widget_bundles

WIDGETS = textwrap.dedent(
    """
    from pathlib import Path
    import anywidget, traitlets
    from . import helpers

    _fhaw_assets = ["data/"]

    class Panel(anywidget.AnyWidget):
        _esm = Path(__file__).parent / "panel.js"
        rows = traitlets.Int(0).tag(sync=True)

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.rows = helpers.count_lines(Path(__file__).parent / "data" / "rows.csv")
    """
)
LEAKY = textwrap.dedent(
    """
    import anywidget
    from .settings import DATABASE_URL

    class Leaky(anywidget.AnyWidget):
        _esm = "export default {}"
    """
)
SERVER = textwrap.dedent(
    """
    from fasthtml.common import fast_app
    from fh_anywidget import AnyWidgetHost
    from myapp.widgets import Panel
    from myapp import settings

    app, rt = fast_app(default_hdrs=False, pico=False, canonical=False, secret_key=settings.SECRET_KEY)
    host = AnyWidgetHost(app, dist_dir=settings.DIST)

    @rt("/")
    def index():
        return host.widget(Panel)
    """
)
MODULES = ("myapp", "myapp.widgets", "myapp.helpers", "myapp.settings", "myapp.leaky", "myapp.server", "myapp.own",
           "myapp.sub", "myapp.sub.deep", "myapp.lazy", "toplevel_helper")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A stand-in for `fh-anywidget dist` output."""
    d = tmp_path / "dist"
    d.mkdir()
    (d / "fh-anywidget.json").write_text(json.dumps({"stack": ["anywidget"], "packages": [], "hash": "a" * 64}))
    (d / "pyodide.mjs").write_text("export const loadPyodide = 1;\n")
    return d


@pytest.fixture
def myapp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dist: Path) -> Path:
    """A package `myapp`: widgets.py (the widget) imports helpers.py; settings.py (a secret key and
    a database password) and server.py are the server's; .env, and a data/ folder the widget reads."""
    src = tmp_path / "src"
    pkg = src / "myapp"
    (pkg / "data" / "more").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "widgets.py").write_text(WIDGETS)
    (pkg / "helpers.py").write_text("def count_lines(path):\n    return len(path.read_text().splitlines())\n")
    (pkg / "panel.js").write_text("export default { render({ el }) { el.textContent = 'panel'; } };\n")
    (pkg / "settings.py").write_text(f'SECRET_KEY = "s3cr3t-app-key"\nDATABASE_URL = "postgres://u:pw@db/x"\nDIST = {str(dist)!r}\n')
    (pkg / "leaky.py").write_text(LEAKY)
    (pkg / "server.py").write_text(SERVER)
    (pkg / ".env").write_text("SECRET_KEY=s3cr3t-app-key\n")
    (pkg / "data" / "rows.csv").write_text("a\nb\nc\n")
    (pkg / "data" / "more" / "points.csv").write_text("1,2\n")
    (pkg / "data" / ".DS_Store").write_bytes(b"\0")
    monkeypatch.syspath_prepend(str(src))
    for name in MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    importlib.invalidate_caches()
    yield pkg
    for name in MODULES:
        sys.modules.pop(name, None)


def host_for(dist: Path, **kwargs) -> AnyWidgetHost:
    app, _ = fast_app()
    return AnyWidgetHost(app, dist_dir=dist, **kwargs)


def shipped(host: AnyWidgetHost, target) -> list[str]:
    html = str(host.widget(target))
    [url] = json.loads(html.split("data-fh-anywidget='", 1)[1].split("'", 1)[0].replace("&quot;", '"'))["bundles"]
    blob = host._blobs[url.rsplit("/", 1)[1]]
    return sorted(zipfile.ZipFile(io.BytesIO(blob.data)).namelist())


def test_a_bundle_holds_the_widget_module_what_it_imports_and_its_assets_but_not_the_apps_secrets(myapp, dist):
    widgets = importlib.import_module("myapp.widgets")
    assert shipped(host_for(dist), widgets.Panel) == [
        "myapp/__init__.py", "myapp/data/more/points.csv", "myapp/data/rows.csv", "myapp/helpers.py", "myapp/panel.js",
        "myapp/widgets.py",
    ]  # not settings.py (SECRET_KEY, a database password), server.py, leaky.py, .env, data/.DS_Store


def test_a_module_with_a_secret_that_the_widget_imports_is_refused_naming_it(myapp, dist):
    leaky = importlib.import_module("myapp.leaky")
    with pytest.raises(WidgetSpecError) as info:
        host_for(dist).widget(leaky.Leaky)
    message = str(info.value)
    assert message.startswith("[fh-anywidget] myapp/settings.py looks like it holds a secret "
                              "(it assigns a string to SECRET_KEY, line 1), and the browser needs it: "
                              "myapp.leaky imports myapp.settings (myapp/leaky.py, line 3)")
    assert "Move the secret out of the modules the widget imports" in message
    assert "AnyWidgetHost(app, include=['myapp/settings.py'])" in message


def test_a_module_with_a_secret_included_by_its_name_ships(myapp, dist):
    leaky = importlib.import_module("myapp.leaky")
    names = shipped(host_for(dist, include=["myapp/settings.py"]), leaky.Leaky)
    assert names == ["myapp/__init__.py", "myapp/leaky.py", "myapp/settings.py"]
    with pytest.raises(WidgetSpecError, match="myapp/settings.py looks like"):  # a glob is not its name
        host_for(dist, include=["myapp/*.py"]).widget(leaky.Leaky)


def test_a_secret_in_the_widgets_own_module_is_refused_with_the_fix(myapp, dist):
    (myapp / "own.py").write_text('import anywidget\nDB_PASSWORD = "hunter2"\n\n'
                                  'class Own(anywidget.AnyWidget):\n    _esm = "export default {}"\n')
    own = importlib.import_module("myapp.own")
    with pytest.raises(WidgetSpecError) as info:
        host_for(dist).widget(own.Own)
    assert str(info.value).startswith(
        "[fh-anywidget] myapp/own.py looks like it holds a secret (it assigns a string to DB_PASSWORD, line 2), and it "
        "is the module of the widget, which every visitor's browser gets. Move the secret out of the module the "
        "browser needs: read it from the environment (os.environ)")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("data/server.key", b"x", "a private key's file name, *.key"),
        ("data/cert.PEM", b"x", "a private key's file name, *.pem"),
        ("data/id_rsa", b"x", "an SSH key's file name, id_rsa*"),
        ("data/blob.txt", b"junk\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "it holds a private key"),
        ("data/config.json", b'{"db": "mysql://admin:pa55@db.internal:3306/app"}',
         "it holds a URL with a password, mysql://admin:***@..."),
    ],
)
def test_a_secret_looking_file_in_a_declared_folder_is_refused_unless_excluded_or_included_by_name(
        myapp, dist, name, content, reason):
    (myapp / name).write_bytes(content)
    widgets = importlib.import_module("myapp.widgets")
    with pytest.raises(WidgetSpecError) as info:
        host_for(dist).widget(widgets.Panel)
    message = str(info.value)
    assert message.startswith(f"[fh-anywidget] myapp/{name} looks like a secret ({reason}")
    assert f"with myapp.widgets (_fhaw_assets of myapp.widgets: 'data/')" in message
    assert f"AnyWidgetHost(app, exclude=['myapp/{name}'])" in message and f"include=['myapp/{name}']" in message
    assert f"myapp/{name}" not in shipped(host_for(dist, exclude=[f"myapp/{name}"]), widgets.Panel)
    assert f"myapp/{name}" in shipped(host_for(dist, include=[f"myapp/{name}"]), widgets.Panel)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (".env", b"X=1", "a .env file"),
        ("config/.env.production", b"X=1", "a .env file"),
        ("keys/deploy.pem", b"", "a private key's file name, *.pem"),
        ("id_rsa.pub", b"", "an SSH key's file name, id_rsa*"),
        ("conf.py", b'SECRET_KEY = "abc"\n', "it assigns a string to SECRET_KEY, line 1"),
        ("conf.py", b'x = 1\nclass C:\n    api_key: str = "k"\n', "it assigns a string to api_key, line 3"),
        ("conf.py", b'app = make(secret_key="abc")\n', "it assigns a string to secret_key, line 1"),
        ("conf.py", b'CONFIG = {"GITHUB_TOKEN": "ghp_x"}\n', "it assigns a string to GITHUB_TOKEN, line 1"),
        ("conf.py", b'os.environ["APIKEY"] = "k"\n', "it assigns a string to APIKEY, line 1"),
        ("conf.py", b'URL = "postgres://u:pw@db/x"\n', "it holds a URL with a password, postgres://u:***@..., line 1"),
        ("conf.py", b'SECRET_KEY = os.environ["SECRET_KEY"]\nTOKEN = ""\nPASSWORD = None\n', None),
        ("page.js", b'fetch("https://example.com/a:b"); const u = "http://user@host/";', None),
        ("notes.txt", b"the token is read from the environment", None),
        # a literal as a default, a fallback or a part of the value
        ("conf.py", b'import os\nSECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret")\n',
         "it assigns a string to SECRET_KEY, line 2"),
        ("conf.py", b'x = os.getenv("APP_SECRET", "lit")\n', "it assigns a string to APP_SECRET, line 1"),
        ("conf.py", b'DB_PASSWORD = os.getenv("P") or "fallback"\n', "it assigns a string to DB_PASSWORD, line 1"),
        ("conf.py", b'API_TOKEN = "tok_" + "abc"\n', "it assigns a string to API_TOKEN, line 1"),
        ("conf.py", b'PASSWORD: str = f"{\'pw\'}"\n', "it assigns a string to PASSWORD, line 1"),
        ("conf.py", b'PASSWORD = "pw"\nPASSWORD += "more"\n', "it assigns a string to PASSWORD, line 1"),
        ("conf.py", b'x = 1\nPASSWORD = ""\nPASSWORD += "more"\n', "it assigns a string to PASSWORD, line 3"),
        ("conf.py", b'USER, PASSWORD = "u", "p"\n', "it assigns a string to PASSWORD, line 1"),
        ("conf.py", b'config = {\n    "user": "u",\n    "api_key": "k",\n}\n', "it assigns a string to api_key, line 3"),
        ("conf.py", b'config = dict(password="pw")\n', "it assigns a string to password, line 1"),
        ("conf.py", b'app = fast_app(secret_key=os.environ.get("APP_SECRET", "dev"))\n',
         "it assigns a string to secret_key, line 1"),
        ("conf.py", b'CREDENTIALS = ("svc_user", "svc-pass")\n', "it assigns a string to CREDENTIALS, line 1"),
        ("conf.py", b'SIGNING_KEY = b"\\x01hmac"\n', "it assigns a string to SIGNING_KEY, line 1"),
        ("conf.py", b'GPG_PRIVATE_KEY = "k"\n', "it assigns a string to GPG_PRIVATE_KEY, line 1"),
        ("conf.py", b'AWS_ACCESS_KEY_ID = "k"\n', "it assigns a string to AWS_ACCESS_KEY_ID, line 1"),
        # ... but not a name that a value is looked up by, nor a name that is no secret's
        ("conf.py", b'SECRET_KEY = os.environ.get("SECRET_KEY")\nTOKEN = os.getenv("TOKEN") or os.environ["T"]\n'
                    b'PASSWORD = getpass.getpass("Password: ")\nSECRET = (HERE / "secret.txt").read_text()\n'
                    b'API_KEY = os.environ.get("API_KEY", "")\nIS_TOKEN = kind == "token"\nTOKEN_SEP = ", "\n', None),
        ("tok.py", b'SPECIAL_TOKENS = ["<s>", "</s>"]\ntokens = {"root": [("x", "y")]}\ntokenizer = "bert"\n', None),
        ("conf.py", b'STORAGE_KEY = "my-widget"\nKEY = "k"\nx = os.environ.get("THEME", "dark")\n'
                    b'r = pyfetch(url, credentials="include")\nb = Button("Go", accesskey="g")\n'
                    b'c = config.get("auth", "password")\n', None),
        # known formats of secrets, in any file, comments too
        ("data/key.asc", b"x\n-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc",
         "it holds a private key, -----BEGIN ... PRIVATE KEY-----, line 2"),
        ("conf.py", b'# the key: AKIAIOSFODNN7EXAMPLE\n', "it holds an AWS access key id, AKIA..., line 1"),
        ("app.js", b'const k = "sk_live_51Habcdefghijklmnop";', "it holds a Stripe live secret key, sk_live_..., line 1"),
        ("data.json", b'{"a": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"}', "it holds a GitHub token, ghp_..., line 1"),
        ("notes.txt", b"a\nb github_pat_11ABCDEFG0123456789_abcdefghij", "it holds a GitHub token, ghp_..., line 2"),
        ("conf.py", b'HOOK = "xoxb-1234567890-abcdefghijklmn"\n', "it holds a Slack token, xox.-..., line 1"),
        ("app.js", b'const sk = "sk_test_abc", ak = "AKIA-docs", t = "ghp_short", s = "xoxb-x"; // sk_live_', None),
        # files that are secrets by their names
        ("data/prod.env", b"X=1", "a .env file"),
        ("data/sub/secrets.env", b"", "a .env file"),
        ("data/.envrc", b"", "a .env file"),
        ("data/credentials", b"[default]", "a credentials file's name, credentials"),
        ("data/netrc", b"", "a credentials file's name, netrc"),
        ("data/.netrc", b"", "a credentials file's name, .netrc"),
        ("data/htpasswd", b"", "a credentials file's name, htpasswd"),
        ("data/.htpasswd", b"", "a credentials file's name, .htpasswd"),
        ("data/client.P12", b"", "a key store's file name, *.p12"),
        ("data/client.pfx", b"", "a key store's file name, *.pfx"),
        ("data/app.jks", b"", "a key store's file name, *.jks"),
        ("data/release.keystore", b"", "a key store's file name, *.keystore"),
        ("data/passwords.kdbx", b"", "a key store's file name, *.kdbx"),
        ("data/id_ed25519.pub", b"", "an SSH key's file name, id_ed25519*"),
        ("data/id_ecdsa", b"", "an SSH key's file name, id_ecdsa*"),
        ("data/id_dsa", b"", "an SSH key's file name, id_dsa*"),
        ("data/environment.js", b"", None),
        ("data/credentials.csv", b"", None),
        # config files with a secret's key
        ("data/config.json", b'{"name": "x", "api_key": "sk-123"}', "it gives api_key a value, line 1"),
        ("data/config.json", b'{\n  "auth": {\n    "clientSecret": "abc"\n  }\n}', "it gives clientSecret a value, line 3"),
        ("data/settings.toml", b'[database]\npassword = "toml-pw"\n', "it gives password a value, line 2"),
        ("data/app.yaml", b"smtp:\n  user: mailer\n  password: yaml-pw\n", "it gives password a value, line 3"),
        ("data/app.yml", b"- token: abc\n", "it gives token a value, line 1"),
        ("data/app.ini", b"[aws]\naws_secret_access_key = qa1\n", "it gives aws_secret_access_key a value, line 2"),
        ("data/app.cfg", b"[x]\npasswd: p\n", "it gives passwd a value, line 2"),
        ("data/app.conf", b"private_key = k\n", "it gives private_key a value, line 1"),
        ("data/config.json", b'{"api_key": "", "password": null, "token": true, "secret": "<your secret>", "apikey": "${KEY}"}',
         None),
        ("data/settings.toml", b'password = ""\ntoken = \'\'\nsecret = 0\n# password: in the environment\n', None),
        ("data/app.yaml", b"password:\ntoken: ~\napi_key: null\nsecret: {{ vault.secret }}\nmax_tokens: 512\n", None),
        ("data/tokenizer.json", b'{"unk_token": "[UNK]", "pad_token": "<pad>", "tokenizer": "bert", "token_type": "x"}', None),
        ("data/notes.json", b'{"text": "the token: abc", "password_file": "/run/secrets/db"}', None),
        ("data/rows.csv", b"password,token\nhunter2,abc\n", None),
    ],
)
def test_what_looks_like_a_secret(name, content, reason):
    from fh_anywidget.bundle_files import secret_reason  # noqa: PLC0415

    assert secret_reason(name, content) == reason


def test_includes_and_excludes_are_globs_relative_to_the_source_root(myapp, dist):
    from fh_anywidget.bundle_files import matches  # noqa: PLC0415

    (myapp / "extra").mkdir()
    (myapp / "extra" / "a.txt").write_text("a")
    (myapp / "extra" / "b.bin").write_text("b")
    widgets = importlib.import_module("myapp.widgets")
    names = shipped(host_for(dist, include=["myapp/extra/*.txt"], exclude=["myapp/data/more/"]), widgets.Panel)
    assert "myapp/extra/a.txt" in names and "myapp/extra/b.bin" not in names
    assert "myapp/data/rows.csv" in names and "myapp/data/more/points.csv" not in names
    with pytest.raises(WidgetSpecError, match=r"include='myapp/extra/nope\.txt' matches no file in .*src"):
        host_for(dist, include=["myapp/extra/nope.txt"]).widget(widgets.Panel)
    with pytest.raises(WidgetSpecError, match=r"myapp/\.env looks like a secret \(a \.env file\) and would ship .* "
                                              r"\(include='myapp/\.env\*'\)"):  # a glob reaches hidden files if it says so
        host_for(dist, include=["myapp/.env*"]).widget(widgets.Panel)
    assert "myapp/.env" in shipped(host_for(dist, include=["myapp/.env"]), widgets.Panel)  # named: taken to be public
    with pytest.raises(WidgetSpecError, match=r"include='/etc/passwd': give paths relative to the folder on sys.path"):
        host_for(dist, include=["/etc/passwd"])
    assert matches("myapp/a/b/c.csv", "myapp/**/*.csv") and matches("myapp/c.csv", "myapp/**/*.csv")
    assert not matches("myapp/.hidden/c.csv", "myapp/**/*.csv") and matches("myapp/.env", "myapp/.env*")


def test_a_declared_asset_that_is_not_there_is_refused_naming_it(myapp, dist):
    (myapp / "widgets.py").write_text(WIDGETS.replace('["data/"]', '["data/", "shaders/x.glsl"]'))
    widgets = importlib.import_module("myapp.widgets")
    with pytest.raises(WidgetSpecError, match=r"myapp.widgets._fhaw_assets names 'shaders/x.glsl', but nothing in .*myapp "
                                              r"matches it \(the entries are relative to the module's folder\)"):
        host_for(dist).widget(widgets.Panel)


def test_imports_are_followed_relative_absolute_and_lazy_within_the_source_root_only(myapp, dist):
    (myapp / "sub").mkdir()
    (myapp / "sub" / "__init__.py").write_text("from .. import helpers\n")
    (myapp / "sub" / "deep.py").write_text("import json\nimport traitlets\n")
    (myapp.parent / "toplevel_helper.py").write_text("X = 1\n")
    (myapp / "lazy.py").write_text(textwrap.dedent("""
        import anywidget
        import myapp.sub.deep
        import toplevel_helper

        class Lazy(anywidget.AnyWidget):
            _esm = "export default {}"

            def __init__(self, **kwargs):
                from .widgets import Panel  # a lazy import is followed too (its module is not loaded yet)
                super().__init__(**kwargs)
        """))
    lazy = importlib.import_module("myapp.lazy")
    assert "myapp.widgets" not in sys.modules  # its _esm Path is read from its source
    assert shipped(host_for(dist), lazy.Lazy) == [
        "myapp/__init__.py", "myapp/data/more/points.csv", "myapp/data/rows.csv", "myapp/helpers.py", "myapp/lazy.py",
        "myapp/panel.js", "myapp/sub/__init__.py", "myapp/sub/deep.py", "myapp/widgets.py", "toplevel_helper.py",
    ]  # json and traitlets are not the app's: the worker has its own


def test_dist_prints_the_files_of_each_bundle_and_reports_a_refused_one(myapp, dist, monkeypatch, capsys):
    seen = {}

    def fake_build_dist(out, packages, **kwargs):
        seen.update(kwargs)
        return SimpleNamespace(hash="f" * 64)

    monkeypatch.setattr(cli, "build_dist", fake_build_dist)
    importlib.import_module("myapp.leaky")  # a widget module the app imported that cannot ship
    assert cli.main(["dist", "myapp.server:app", "--out", str(dist)]) == 0
    err = capsys.readouterr().err
    # (other tests may have left widget modules of their own loaded: every loaded one is collected)
    [(blob, modules)] = [(b, m) for b, m in seen["widget_bundles"] if any(n.startswith("myapp.") for n in m)]
    assert modules == ("myapp.widgets",)
    lines = err.splitlines()
    head = lines.index(next(line for line in lines if line.startswith(f"bundle b/{blob.name} for myapp.widgets: 6 files, ")))
    listed = [line.split()[0] for line in lines[head + 1: head + 7]]
    assert listed == ["myapp/__init__.py", "myapp/data/more/points.csv", "myapp/data/rows.csv", "myapp/helpers.py",
                      "myapp/panel.js", "myapp/widgets.py"]
    assert "imported by myapp.widgets, line 4" in lines[head + 4] and "_esm of Panel" in lines[head + 5]
    assert "bundle for myapp.leaky: left out of the memory snapshot:" in err
    assert "[fh-anywidget] myapp/settings.py looks like it holds a secret" in err


def test_build_prints_the_files_of_each_bundle_it_exports(myapp, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "myapp.server:app", "--out", str(tmp_path / "site")]) == 0
    err = capsys.readouterr().err
    assert "bundle b/" in err and " for myapp.widgets: 6 files, " in err
    assert "  myapp/helpers.py " in err and "settings.py" not in err


def test_build_stops_at_a_page_whose_widget_would_ship_a_secret(myapp, tmp_path, monkeypatch, capsys):
    (myapp / "server.py").write_text(SERVER.replace("from myapp.widgets import Panel", "from myapp.leaky import Leaky as Panel"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "myapp.server:app", "--out", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fh-anywidget: error: [fh-anywidget] myapp/settings.py looks like it holds a secret")
    assert not (tmp_path / "site").exists()


def test_app_widget_bundles_report_a_module_that_cannot_ship_and_go_on(myapp):
    widgets, leaky = importlib.import_module("myapp.widgets"), importlib.import_module("myapp.leaky")
    said: list[str] = []
    found = app_widget_bundles([leaky, widgets], report=said.append)
    assert [modules for _, modules in found.values()] == [("myapp.widgets",)]
    assert len(said) == 1 and said[0].startswith("bundle for myapp.leaky: left out of the memory snapshot:\n[fh-anywidget]")


def test_a_folder_or_glob_refuses_a_symbolic_link_to_a_file_outside_the_source_root_even_by_its_name(myapp, dist, tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "hostname").write_text("db.internal\n")
    (myapp / "data" / "host.txt").symlink_to(tmp_path / "outside" / "hostname")
    widgets = importlib.import_module("myapp.widgets")
    with pytest.raises(WidgetSpecError) as info:
        host_for(dist).widget(widgets.Panel)
    message = str(info.value)
    assert message.startswith(f"[fh-anywidget] myapp/data/host.txt is a symbolic link to the file {tmp_path}/outside/hostname, "
                              f"outside {myapp.parent} (the folder on sys.path that the bundle is relative to), so it cannot "
                              "ship with myapp.widgets (_fhaw_assets of myapp.widgets: 'data/')")
    assert f"copy it into {myapp.parent}" in message and "exclude=['myapp/data/host.txt']" in message
    with pytest.raises(WidgetSpecError, match="myapp/data/host.txt is a symbolic link to the file .*, outside "):
        host_for(dist, include=["myapp/data/host.txt"]).widget(widgets.Panel)  # its own name does not make it ship
    assert "myapp/data/host.txt" not in shipped(host_for(dist, exclude=["myapp/data/host.txt"]), widgets.Panel)


def test_a_folder_or_glob_refuses_a_symbolic_link_inside_the_source_root_unless_it_is_named(myapp, dist):
    (myapp / "data" / "readme.txt").symlink_to("../server.py")  # the server's module, under a harmless name
    widgets = importlib.import_module("myapp.widgets")
    for rules in ({}, {"include": ["myapp/data/*.txt"]}):
        with pytest.raises(WidgetSpecError) as info:
            host_for(dist, **rules).widget(widgets.Panel)
        assert str(info.value).startswith(
            f"[fh-anywidget] myapp/data/readme.txt is a symbolic link to the file {myapp}/server.py, and a folder or glob "
            "does not ship what a link leads to, so it cannot ship with myapp.widgets (_fhaw_assets of myapp.widgets: "
            "'data/'). If the browser needs it, include it by its own path: "
            "AnyWidgetHost(app, include=['myapp/data/readme.txt']); otherwise remove the link, or leave it out with "
            "AnyWidgetHost(app, exclude=['myapp/data/readme.txt']).")
    assert "myapp/data/readme.txt" in shipped(host_for(dist, include=["myapp/data/readme.txt"]), widgets.Panel)


def test_a_folder_or_glob_does_not_walk_a_symbolic_link_to_a_folder(myapp, dist, tmp_path):
    from fh_anywidget.bundle_files import expand  # noqa: PLC0415

    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    (tmp_path / "elsewhere" / "deep" / "other.json").write_text("{}")
    (myapp / "assets").mkdir()
    (myapp / "assets" / "real.json").write_text("{}")
    (myapp / "assets" / "lnk").symlink_to(tmp_path / "elsewhere")
    (myapp / "data" / "latest").symlink_to("more")  # inside the root
    root = myapp.parent
    assert expand(root, "myapp/assets/**/*.json", []) == [("myapp/assets/lnk", False), ("myapp/assets/real.json", False)]
    assert expand(root, "myapp/assets/*.json", []) == [("myapp/assets/real.json", False)]  # a glob that would not go in
    assert ("myapp/data/latest", False) in expand(root, "myapp/data/", [])
    assert not [n for n, _ in expand(root, "myapp/data/", []) if n.startswith("myapp/data/latest/")]
    widgets = importlib.import_module("myapp.widgets")
    with pytest.raises(WidgetSpecError) as info:
        host_for(dist, include=["myapp/assets/**/*.json"]).widget(widgets.Panel)
    first, second = str(info.value).splitlines()
    assert first.startswith(f"[fh-anywidget] myapp/assets/lnk is a symbolic link to the folder {tmp_path}/elsewhere, outside ")
    assert "(include='myapp/assets/**/*.json')" in first and "exclude=['myapp/assets/lnk']" in first
    assert second.startswith(f"[fh-anywidget] myapp/data/latest is a symbolic link to the folder {myapp}/data/more, and a "
                             "folder or glob does not ship what a link leads to")
    assert "include it by its own path: AnyWidgetHost(app, include=['myapp/data/more/'])" in second
    names = shipped(host_for(dist, include=["myapp/assets/"], exclude=["myapp/assets/lnk", "myapp/data/latest"]), widgets.Panel)
    assert "myapp/assets/real.json" in names and not [n for n in names if "lnk" in n or "latest" in n or "other" in n]


def test_globs_match_as_matches_reads_them(myapp):
    from fh_anywidget.bundle_files import expand  # noqa: PLC0415

    (myapp / "data" / ".hidden").mkdir()
    (myapp / "data" / ".hidden" / "h.csv").write_text("")
    (myapp / "data" / "more" / "__pycache__").mkdir()
    (myapp / "data" / "more" / "__pycache__" / "x.csv").write_text("")
    root = myapp.parent

    def names(pattern):
        return [n for n, exact in expand(root, pattern, [])]

    assert names("myapp/**/*.csv") == ["myapp/data/more/points.csv", "myapp/data/rows.csv"]
    assert names("myapp/data/*.csv") == ["myapp/data/rows.csv"]
    assert names("myapp/d*") == ["myapp/data/more/points.csv", "myapp/data/rows.csv"]  # a folder it matches: its files
    assert names("myapp/data/*/") == ["myapp/data/more/points.csv"]
    assert names("myapp/data/.*/*.csv") == ["myapp/data/.hidden/h.csv"]
    assert names("myapp/[hl]*.p?") == ["myapp/helpers.py", "myapp/leaky.py"]
    assert names("myapp/nothing/*.csv") == []
