"""Hostile inputs: links out of the folder, swapped files, text and deflate bombs, markup in data, exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import get_settings
from rag.errors import OutsideFolderError, TextLimitError
from rag.ingestion import files as files_module
from rag.ingestion.files import TextLimits, find_files
from rag.ingestion.loaders import load_document
from tests.make_bad_files import char_bomb_pdf, deflate_bomb_pdf, make_pdf
from tests.test_cli import cli

SECRET = "zebra quokka nologin daemon secret-marker"
TIME = shutil.which("time", path="/usr/bin") or ""
needs_links = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32",
                                 reason="symbolic links need a POSIX filesystem")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the ingested one, holding a file nobody asked to ingest."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "x.txt").write_text(f"{SECRET} in a folder\n", encoding="utf-8")
    return folder


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "real.md").write_text("# Real\n\nRevenue grew by ten percent in the year.\n", encoding="utf-8")
    (folder / "sub" / "x.txt").write_text("Margins improved in the second half.\n", encoding="utf-8")
    return folder


# --- links ----------------------------------------------------------------------------------


@needs_links
def test_a_link_out_of_the_folder_is_refused_and_never_searchable(notes, outside):
    (notes / "passwd.txt").symlink_to(outside / "secret.txt")
    r = cli("ingest", str(notes), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    failed = {Path(p).name: why for p, why in report["failed"]}
    assert "outside" in failed["passwd.txt"] and "passwd.txt" in failed["passwd.txt"]
    assert report["ingested"] == 2
    hits = json.loads(cli("search", "zebra quokka nologin daemon", "--json").stdout)
    assert hits and not [h for h in hits if "quokka" in h["text"]]
    # Named directly, it is refused too: the folder holding it is the one it may not leave.
    r = cli("ingest", str(notes / "passwd.txt"))
    assert r.returncode == 1 and "outside" in r.stdout and "quokka" not in r.stdout


@needs_links
def test_links_inside_the_folder_are_followed_once(notes):
    (notes / "sub" / "again.md").symlink_to(notes / "real.md")
    found, skipped = find_files([notes])
    assert sorted(f.path.name for f in found) == ["real.md", "x.txt"] and not skipped
    other = notes / "sub" / "to-real.md"
    other.symlink_to("../real.md")
    doc = load_document(other, root=notes)  # a link to a sibling folder, still inside the root
    assert "Revenue grew" in doc.pages[0].text


@needs_links
def test_a_file_swapped_for_a_link_after_the_walk_is_refused(notes, outside):
    found, _ = find_files([notes])
    target = next(f for f in found if f.path.name == "real.md")
    target.path.unlink()
    target.path.symlink_to(outside / "secret.txt")
    with pytest.raises(OutsideFolderError) as e:
        load_document(target.path, root=target.root)
    assert "outside" in str(e.value) and "quokka" not in str(e.value)


@needs_links
def test_a_folder_swapped_for_a_link_after_the_walk_is_refused(notes, outside):
    found, _ = find_files([notes])
    target = next(f for f in found if f.path.name == "x.txt")
    shutil.rmtree(notes / "sub")
    (notes / "sub").symlink_to(outside, target_is_directory=True)  # outside/x.txt has the same name
    with pytest.raises(OutsideFolderError):
        load_document(target.path, root=target.root)


@needs_links
def test_a_link_swapped_between_open_and_check_is_caught_on_the_descriptor(notes, outside, monkeypatch):
    """The link points outside when the file is opened, and back inside by the time a path check would run."""
    link = notes / "flip.txt"
    link.symlink_to(outside / "secret.txt")
    real_open = os.open

    def racing_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if Path(path) == link:
            link.unlink()
            link.symlink_to(notes / "sub" / "x.txt")
        return fd

    monkeypatch.setattr(files_module.os, "open", racing_open)
    with pytest.raises(OutsideFolderError) as e:
        load_document(link, root=notes)
    assert "replaced" in str(e.value) and "quokka" not in str(e.value)


@needs_links
def test_hidden_entries_and_folder_links_are_reported_with_a_reason(notes, outside):
    (notes / ".env.txt").write_text("hidden\n")
    (notes / ".cache").mkdir()
    (notes / ".cache" / "inside.txt").write_text("hidden folder\n")
    (notes / "elsewhere").symlink_to(outside, target_is_directory=True)
    (notes / "real.meta.json").write_text("{}")
    found, skipped = find_files([notes])
    reasons = {Path(p).name: str(e) for p, e in skipped}
    assert "hidden file" in reasons[".env.txt"] and "hidden folder" in reasons[".cache"]
    assert "link to a folder" in reasons["elsewhere"]
    assert "real.meta.json" not in reasons and "inside.txt" not in reasons
    assert sorted(f.path.name for f in found) == ["real.md", "x.txt"]
    # A hidden folder or a folder link named on the command line is the user's choice: it is walked.
    assert [f.path.name for f in find_files([notes / "elsewhere"])[0]] == ["secret.txt", "x.txt"]


# --- bounded text ---------------------------------------------------------------------------


def test_a_char_bomb_and_a_deflate_bomb_are_refused_before_pdfium_reads_them(tmp_path):
    cases = (("chars.pdf", char_bomb_pdf(), "SHIFTBRIEF_MAX_PAGE_CHARS"),
             ("deflate.pdf", deflate_bomb_pdf(400), "deflate bomb"))
    for name, data, why in cases:
        path = tmp_path / name
        path.write_bytes(data)
        started = time.perf_counter()
        with pytest.raises(TextLimitError) as e:
            load_document(path)
        assert time.perf_counter() - started < 10, name  # pdfium alone took 14 s on the 9 M characters
        assert name in str(e.value) and why in str(e.value) and "check where the file came from" in str(e.value)


@pytest.mark.skipif(not TIME, reason="/usr/bin/time not installed (Debian package `time`)")
@pytest.mark.parametrize("make", [char_bomb_pdf, lambda: deflate_bomb_pdf(400)], ids=["chars", "deflate"])
def test_ingesting_a_hostile_pdf_peaks_under_500_mb(tmp_path, make):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "hostile.pdf").write_bytes(make())
    r = subprocess.run([TIME, "-v", sys.executable, "-m", "rag.cli", "ingest", str(folder)], capture_output=True,
                       text=True, timeout=300)
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    assert r.returncode == 1 and "hostile.pdf" in r.stdout
    assert peak_kb < 500 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"


def test_a_page_past_the_page_cap_is_cut_and_noted(tmp_path):
    # Encrypted streams are opaque to the pre-scan: the cut on pdfium's text is what bounds them.
    path = tmp_path / "long-page.pdf"
    path.write_bytes(make_pdf([["Revenue " * 400], ["Second page text."]], user_password=""))
    doc = load_document(path, limits=TextLimits(page_chars=1000, doc_chars=100_000))
    assert len(doc.pages[0].text) <= 1000 and doc.pages[1].text == "Second page text."
    assert "page 1 cut at 1,000" in doc.extra["text_limited"]


def test_a_document_past_the_document_cap_keeps_its_start_and_says_what_was_skipped(tmp_path):
    path = tmp_path / "many-pages.pdf"
    path.write_bytes(make_pdf([[f"Page {i} " + "word " * 150] for i in range(6)]))
    doc = load_document(path, limits=TextLimits(page_chars=10_000, doc_chars=2000))
    assert sum(len(p.text) for p in doc.pages) <= 2000 and doc.pages[0].text.startswith("Page 0")
    assert len(doc.pages) < 6 and "skipped" in doc.extra["text_limited"]
    text = tmp_path / "long.txt"
    text.write_text("A line of the annual report.\n" * 5000, encoding="utf-8")
    doc = load_document(text, limits=TextLimits(doc_chars=1000))
    assert sum(len(p.text) for p in doc.pages) <= 1000 and "SHIFTBRIEF_MAX_DOC_CHARS" in doc.extra["text_limited"]
    html = tmp_path / "long.html"
    html.write_text("<html><body><main>" + "<p>Revenue grew again.</p>" * 2000 + "</main></body></html>")
    doc = load_document(html, limits=TextLimits(doc_chars=1000))
    assert len(doc.pages[0].text) <= 1000 and "text_limited" in doc.extra


def test_a_huge_utf16_text_is_cut_between_characters_not_inside_one(tmp_path):
    path = tmp_path / "emoji.txt"
    path.write_bytes("\U0001F600 revenue ".encode("utf-16") + ("\U0001F600" * 5000).encode("utf-16-le"))
    doc = load_document(path, limits=TextLimits(doc_chars=101))
    assert doc.pages[0].text.startswith("\U0001F600 revenue") and "\ufffd" not in doc.pages[0].text


def test_text_caps_are_settings(monkeypatch):
    monkeypatch.setenv("SHIFTBRIEF_MAX_PAGE_CHARS", "1234")
    monkeypatch.setenv("SHIFTBRIEF_MAX_DOC_CHARS", "56789")
    s = get_settings()
    assert (s.max_page_chars, s.max_doc_chars) == (1234, 56789)


def test_the_cap_reaches_the_pipeline(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "long.txt").write_text("The miner sold bitcoin to fund data centres.\n" * 2000, encoding="utf-8")
    r = cli("ingest", str(folder), "--json", env={"SHIFTBRIEF_MAX_DOC_CHARS": "3000"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["chunks"] <= 3
    docs = json.loads(cli("docs", "--json").stdout)
    assert "SHIFTBRIEF_MAX_DOC_CHARS" in json.dumps(docs)


# --- the command line prints data as data ----------------------------------------------------


def test_markup_emoji_and_escapes_in_documents_are_printed_as_written(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = "[red]na\x1b[2Jme.md"
    (folder / name).write_text("---\ncompany: EVIL[/]CO\ntitle: \"[bold]x[/] :x:\"\n---\n"
                               "Revenue grew :x: strongly [/] in the year.\n", encoding="utf-8")
    r = cli("ingest", str(folder))
    assert r.returncode == 0, r.stderr
    r = cli("docs")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "EVIL[/]CO" in r.stdout and "\x1b" not in r.stdout and "\\x1b" in r.stdout
    r = cli("search", "revenue grew strongly")
    assert r.returncode == 0, r.stderr
    assert ":x: strongly [/]" in r.stdout and "❌" not in r.stdout and "[red]na\\x1b[2Jme" in r.stdout
    r = cli("ask", "How did revenue grow?")
    assert r.returncode == 0 and ":x:" in r.stdout and "❌" not in r.stdout and "\x1b" not in r.stdout
    r = cli("delete", "[/]")
    assert r.returncode == 1 and "No document named '[/]'" in r.stderr and "Traceback" not in r.stderr
    r = cli("delete", "[red]na\x1b[2Jme")
    assert r.returncode == 0 and "Deleted [red]na\\x1b[2Jme" in r.stdout and "\x1b" not in r.stdout


def test_a_skipped_file_name_with_escapes_reaches_the_terminal_escaped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.md").write_text("Revenue grew.\n")
    (folder / "evil\x1b]0;pwned\x07[bold].docx").write_bytes(b"PK\x03\x04")
    r = cli("ingest", str(folder))
    assert r.returncode == 0 and "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "evil\\x1b]0;pwned\\x07[bold].docx" in r.stdout


# --- exit codes and messages ------------------------------------------------------------------


def test_a_folder_with_nothing_to_ingest_exits_non_zero(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    r = cli("ingest", str(folder))
    assert r.returncode == 1 and "Nothing to ingest" in r.stderr and "notes.docx" in r.stdout
    (tmp_path / "empty").mkdir()
    assert cli("ingest", str(tmp_path / "empty")).returncode == 1


def test_a_missing_path_is_named_in_full(tmp_path):
    _, skipped = find_files([tmp_path / "reports" / "2024" / "missing.pdf"])
    assert "reports/2024/missing.pdf does not exist" in str(skipped[0][1])


def test_the_damaged_pdf_message_says_eof_once(tmp_path):
    path = tmp_path / "cut.pdf"
    data = make_pdf([[f"Page {i} line {j}" for j in range(30)] for i in range(40)])
    path.write_bytes(data[: len(data) * 6 // 10])
    with pytest.raises(Exception) as e:
        load_document(path)
    assert "no %EOF at the end" in str(e.value) and "%%EOF" not in str(e.value)
