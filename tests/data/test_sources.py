from pathlib import Path

from latentforge.data.sources import DATASETS, default_data_dir, resolve_data_dir


def test_data_directory_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("LATENTFORGE_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".cache" / "latentforge"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_data_dir() == tmp_path / "cache" / "latentforge"
    monkeypatch.setenv("LATENTFORGE_DATA", str(tmp_path / "env"))
    assert default_data_dir() == tmp_path / "env"
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    monkeypatch.setenv("LATENTFORGE_DATA", "")
    assert default_data_dir() == tmp_path / "cache" / "latentforge"
    assert resolve_data_dir("~/x") == Path.home() / "x"


def test_named_datasets_are_registered():
    import latentforge.data  # noqa: F401  (importing the package registers them)

    assert DATASETS.names() == [
        "cifar10",
        "edges2fashion",
        "fashion-mnist",
        "mnist",
        "orl-faces",
        "sample",
        "sneaker2boot",
    ]


def test_checkout_data_dir_rule(tmp_path, monkeypatch):
    from latentforge.data import sources

    monkeypatch.setenv("LATENTFORGE_DATA", str(tmp_path / "env"))
    assert sources.checkout_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert sources.checkout_data_dir() == tmp_path / "env"
    monkeypatch.delenv("LATENTFORGE_DATA")
    repo = tmp_path / "checkout" / "main"
    monkeypatch.setattr(sources, "REPOSITORY_ROOT", repo)
    assert sources.checkout_data_dir() is None
    (tmp_path / "checkout" / "shared" / "datasets").mkdir(parents=True)
    assert sources.checkout_data_dir() == tmp_path / "checkout" / "shared" / "datasets"
