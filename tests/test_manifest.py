import pytest

from zoo.data.manifest import label_vocabulary, read_manifest
from zoo.errors import ManifestError


def write(tmp_path, text):
    path = tmp_path / "manifest.csv"
    path.write_text(text)
    return path


def test_parses_labels_splits_segments(tmp_path):
    rows = read_manifest(write(tmp_path, "path,label,split,start,end\n"
                                         "a.wav,dog,train,,\n"
                                         "sub/b.wav,car;horn,test,1.5,3\n"
                                         "c.wav,,,,\n"))
    assert [r.labels for r in rows] == [("dog",), ("car", "horn"), ()]
    assert [r.split for r in rows] == ["train", "test", "train"]
    assert rows[1].start == 1.5 and rows[1].end == 3.0 and rows[1].clip_id == "sub/b.wav@1.5-3"
    assert rows[1].path == str((tmp_path / "sub" / "b.wav").resolve())
    assert label_vocabulary(rows) == ["car", "dog", "horn"]


@pytest.mark.parametrize("text,message", [
    ("path,split\na.wav,train\n", "missing label"),
    ("path,label,lable\na.wav,x,y\n", "unknown column"),
    ("path,label\n../escape.wav,x\n", "escapes the manifest's folder"),
    ("path,label\n/etc/passwd,x\n", "escapes the manifest's folder"),
    ("path,label\n,x\n", "empty 'path'"),
    ("path,label,start,end\na.wav,x,abc,\n", "must be seconds"),
    ("path,label,start,end\na.wav,x,2,1\n", "end .* must be after start"),
    ("path,label\na.wav,x,extra\n", "more fields"),
    ("path,label\n", "no clips"),
])
def test_malformed_manifests_name_file_and_line(tmp_path, text, message):
    with pytest.raises(ManifestError, match=message) as error:
        read_manifest(write(tmp_path, text))
    assert "manifest.csv" in str(error.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "nope.csv")
