"""atomic_write: a write interrupted half-way leaves the previous file whole."""

import pytest

from jaxdyn.core import atomic_write


def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "data.bin"
    atomic_write(path, lambda f: f.write(b"old contents"))

    def crash(f):
        f.write(b"half of the new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]
    atomic_write(path, lambda f: f.write("new"), mode="w")
    assert path.read_text() == "new"
