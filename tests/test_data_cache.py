"""fixer.data.load: a TOML file's parsed form kept in __pycache__ (as Python keeps bytecode),
used while the file is unchanged, replaced when it changes, and never needed."""

from __future__ import annotations

import os
import stat

import pytest

import fixer.data as data


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_FOLDER", tmp_path)
    monkeypatch.setattr(data, "_CACHE", tmp_path / "__pycache__")
    data.load.cache_clear()
    yield tmp_path
    data.load.cache_clear()


def test_parsed_once_then_read_back(folder):
    (folder / "facts.toml").write_text('[images.debian]\nworkdir = "/"\n')
    assert data.load("facts.toml") == {"images": {"debian": {"workdir": "/"}}}
    kept = list((folder / "__pycache__").glob("facts.toml.*.marshal"))
    assert len(kept) == 1
    # the kept form is what a later process reads: prove it by changing it behind the source's back
    import marshal

    kept[0].write_bytes(marshal.dumps({"from": "cache"}))
    data.load.cache_clear()
    assert data.load("facts.toml") == {"from": "cache"}


def test_a_changed_file_is_parsed_again_and_the_old_form_goes(folder):
    source = folder / "facts.toml"
    source.write_text("a = 1\n")
    assert data.load("facts.toml") == {"a": 1}
    source.write_text("a = 22\n")  # another size: another key
    os.utime(source, ns=(1, 1))
    data.load.cache_clear()
    assert data.load("facts.toml") == {"a": 22}
    assert len(list((folder / "__pycache__").glob("facts.toml.*.marshal"))) == 1


def test_a_folder_that_cannot_be_written_parses_every_time(folder):
    (folder / "facts.toml").write_text("a = 1\n")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(folder, os.W_OK):  # root writes anyway: make the cache a file instead
            folder.chmod(0o755)
            (folder / "__pycache__").write_text("not a folder")
        assert data.load("facts.toml") == {"a": 1}
    finally:
        folder.chmod(0o755)
    assert not (folder / "__pycache__").is_dir()
