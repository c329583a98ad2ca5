import pytest

from rag.ingestion.uploads import (
    MAX_FILES_PER_UPLOAD,
    remove_upload,
    safe_filename,
    save_uploads,
)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\win.md", "win.md"),
        ("bad\x00na\x1bme.PDF", "badname.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("決算 説明.md", "決算 説明.md"),
        ("a;rm -rf $HOME.txt", "a_rm -rf _HOME.txt"),
        ("", "upload"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_long_names_are_cut_but_keep_the_suffix():
    name = safe_filename("x" * 400 + ".pdf")
    assert len(name) <= 120 and name.endswith(".pdf")


def test_save_uploads_stays_in_the_data_dir_and_rejects_with_reasons(settings):
    files = [("../escape.txt", b"hello"), ("pic.png", b"\x89PNG"), ("big.txt", b"x" * (2 * 1024 * 1024))]
    result = save_uploads(files, settings.model_copy(update={"max_file_mb": 1}))
    assert [p.name for p in result.saved] == ["escape.txt"]
    assert result.saved[0].parent == settings.data_dir / "uploads"
    reasons = dict(result.rejected)
    assert "not supported" in reasons["pic.png"]
    assert "the limit is 1 MB" in reasons["big.txt"]


def test_too_many_files(settings):
    files = [(f"f{i}.txt", b"x") for i in range(MAX_FILES_PER_UPLOAD + 2)]
    result = save_uploads(files, settings)
    assert len(result.saved) == MAX_FILES_PER_UPLOAD and len(result.rejected) == 2
    assert "per upload" in result.rejected[0][1]


def test_remove_upload_deletes_only_files_inside_the_uploads_folder(settings, tmp_path):
    [saved] = save_uploads([("note.md", b"# A note")], settings).saved
    outside = tmp_path / "elsewhere" / "note.md"
    outside.parent.mkdir()
    outside.write_text("# Mine")
    sneaky = settings.data_dir / "uploads" / ".." / "escape.md"  # a path that only looks like it is inside
    sneaky.write_text("# Not an upload")
    assert remove_upload(saved, settings) and not saved.exists()
    assert not remove_upload(saved, settings)  # already gone
    assert not remove_upload(outside, settings) and outside.exists()
    assert not remove_upload(str(sneaky), settings) and sneaky.exists()
