"""Loaders against real FinanceBench filings and against hostile files made by make_bad_files."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from rag.errors import CorruptFileError, EncryptedFileError, LoaderError, UnsupportedFileError
from rag.ingestion.clean import clean_text
from rag.ingestion.files import SUPPORTED_SUFFIXES, iter_files
from rag.ingestion.loaders import load_document
from rag.ingestion.metadata import parse_doc_name
from rag.ingestion.pdf import render_pdf_page
from rag.ingestion.text import PAGE_CHARS, split_long_text
from rag.text.lang import QUESTION_SHARE, detect_lang

_spec = importlib.util.spec_from_file_location("make_bad_files", Path(__file__).with_name("make_bad_files.py"))
mbf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mbf)

FINANCEBENCH = Path(__file__).resolve().parents[2] / "shared" / "financebench"
PDFS = FINANCEBENCH / "pdfs"
# Only the tests that read real filings need the dataset; the hostile-file tests always run.
needs_financebench = pytest.mark.skipif(
    not PDFS.is_dir(), reason=f"FinanceBench PDFs not found at {PDFS} (checked out beside the repo as ../shared)"
)
ADVICE = {  # words the message of each failure must contain: what to do about it
    "corrupt": ("PDF", "binary data", "nests"),
    "encrypted": ("remove the password",),
    "empty": ("empty", "no text", "no readable text", "only whitespace"),
    "no-text": ("OCR it first",),
    "encoding": ("save it", "UTF-8"),
    "unsupported": ("convert it", "not a regular file", "rename it"),
    "too-large": ("raise SHIFTBRIEF_MAX_FILE_MB",),
    "too-much-text": ("check where the file came from",),
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bad")
    return folder, mbf.make_bad_files(folder)


@pytest.fixture(scope="module")
def three_m():
    return load_document(PDFS / "3M_2018_10K.pdf")


def _load(path: Path):
    return load_document(path, max_bytes=mbf.MAX_BYTES)


def _error(path: Path) -> LoaderError:
    with pytest.raises(LoaderError) as info:
        _load(path)
    return info.value


# --- real filings -------------------------------------------------------------------------


@needs_financebench
def test_3m_pages_are_zero_indexed_and_tables_stay_on_one_line(three_m):
    assert three_m.extra["page_count"] == 160
    assert [p.page for p in three_m.pages] == list(range(160))
    cash_flow = three_m.pages[59].text
    assert "Consolidated Statement of Cash Flows" in cash_flow
    assert "Net income including noncontrolling interest $ 5,363 $ 4,869 $ 5,058" in cash_flow.splitlines()
    # The cover page names the registrant; the file name (3M_2018_10K) only fills what the cover leaves out.
    assert (three_m.company, three_m.period, three_m.doc_type) == ("3M COMPANY", "2018", "10k")
    assert json.loads(three_m.extra["meta_sources"])["company"].startswith("cover page")
    assert three_m.sha256 == hashlib.sha256((PDFS / "3M_2018_10K.pdf").read_bytes()).hexdigest()
    assert three_m.lang == "en" and three_m.doc_name == "3M_2018_10K"
    assert "3M" in three_m.title


@needs_financebench
def test_evidence_pages_match_financebench_page_numbers(three_m):
    """The gold evidence page shares more words with our page of that number than with its neighbours."""
    rows = [json.loads(line) for line in (FINANCEBENCH / "data" / "financebench_open_source.jsonl").open()]
    evidence = [e for r in rows for e in r["evidence"] if e["doc_name"] == "3M_2018_10K"]
    assert evidence
    by_page = {p.page: set(re.findall(r"\w+", p.text.lower())) for p in three_m.pages}
    for e in evidence:
        gold = set(re.findall(r"\w+", e["evidence_text_full_page"].lower()))
        n = e["evidence_page_num"]
        score = {k: len(gold & by_page.get(k, set())) / max(len(gold), 1) for k in (n - 1, n, n + 1)}
        assert score[n] > 0.8 and score[n] > max(score[n - 1], score[n + 1]), (n, score)


@needs_financebench
def test_aes_encrypted_adobe_10k_loads_without_a_password():
    doc = load_document(PDFS / "ADOBE_2022_10K.pdf")
    assert doc.extra["page_count"] == 99
    assert "CONSOLIDATED STATEMENTS OF INCOME" in next(p.text for p in doc.pages if p.page == 53)
    assert doc.company == "ADOBE INC."  # from its cover page, which the encryption does not hide


@needs_financebench
def test_pdf_bookmarks_name_the_section_of_each_page():
    doc = load_document(PDFS / "ADOBE_2015_10K.pdf")
    sections = {p.page: p.heading for p in doc.pages}
    assert (sections[0], sections[10], sections[11]) == ("Cover Page", "Competition", "Competition")


@needs_financebench
def test_words_at_line_ends_stay_apart():
    """get_text_bounded glues some lines ("Investment-gradeNoninvestment-grade"); get_text_range does not."""
    doc = load_document(PDFS / "JPMORGAN_2022Q2_10Q.pdf")
    text = next(p.text for p in doc.pages if p.page == 62)
    assert "Investment-grade\nNoninvestment-grade Total" in text


@needs_financebench
def test_every_financebench_name_parses_like_its_document_information():
    stems = [p.stem for p in PDFS.glob("*.pdf")]
    assert len(stems) == 74
    info = [json.loads(line) for line in (FINANCEBENCH / "data" / "financebench_document_information.jsonl").open()]
    names = {r["doc_name"] for r in info}
    assert set(stems) <= names
    wrong = []
    for name in names:
        parsed = parse_doc_name(name)
        rows = [r for r in info if r["doc_name"] == name]
        # doc information calls an annual report "10k_annualreport"; one name is listed under two periods.
        if not parsed["company"] or not any(
            parsed["doc_type"] == r["doc_type"].lower().replace("10k_", "")
            and parsed["period"][:4] == str(r["doc_period"])
            for r in rows
        ):
            wrong.append((name, parsed))
    assert not wrong


def test_parse_doc_name_shapes():
    assert parse_doc_name("JOHNSON_JOHNSON_2022_10K") == {
        "company": "JOHNSON JOHNSON", "period": "2022", "doc_type": "10k", "date": ""}
    assert parse_doc_name("AMCOR_2022_8K_dated-2022-07-01") == {
        "company": "AMCOR", "period": "2022", "doc_type": "8k", "date": "2022-07-01"}
    assert parse_doc_name("FOOTLOCKER_2022_8K_dated_2022-08-19")["date"] == "2022-08-19"
    assert parse_doc_name("PG_E_2023_EARNINGS-dated-2023-06-01")["company"] == "PG E"
    assert parse_doc_name("AMCOR_2023Q4_EARNINGS")["period"] == "2023Q4"
    assert parse_doc_name("Pfizer_2023Q2_10Q")["company"] == "PFIZER"
    assert parse_doc_name("MCDONALDS_8K_dated-2023-01-06")["period"] == "2023"
    assert parse_doc_name("3M_2018_10K")["company"] == "3M"
    assert parse_doc_name("riot annual letter") == {"company": "", "period": "", "doc_type": "", "date": ""}
    assert parse_doc_name("10K")["doc_type"] == ""


@needs_financebench
def test_render_pdf_page_returns_a_png_of_the_page():
    png = render_pdf_page(PDFS / "3M_2018_10K.pdf", 59, scale=1.0)
    image = Image.open(io.BytesIO(png))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and image.format == "PNG"
    assert image.size == (612, 792)
    with pytest.raises(LoaderError, match=r"3M_2018_10K\.pdf has pages 0–159 .*page 160 does not exist"):
        render_pdf_page(PDFS / "3M_2018_10K.pdf", 160)


# --- hostile files ------------------------------------------------------------------------


def test_make_bad_files_covers_enough_cases(bad):
    _, expected = bad
    assert len(expected) >= 25
    assert set(expected.values()) >= {"ok", "corrupt", "encrypted", "empty", "no-text", "encoding", "unsupported",
                                      "too-large"}


def test_every_bad_file_fails_with_its_reason_and_a_message_naming_it(bad):
    folder, expected = bad
    wrong = []
    for name, reason in sorted(expected.items()):
        path = folder / name
        started = time.perf_counter()
        try:
            _load(path)
            got, message = "ok", ""
        except LoaderError as e:
            got, message = e.reason, str(e)
            printable = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            shown = re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", printable)
            if shown[:40] not in message or e.path != str(path):
                wrong.append((name, "message does not name the file", message))
            if not any(word in message for word in ADVICE[got]):
                wrong.append((name, "message does not say what to do", message))
            if re.search(r"[\x00-\x1f]", message):
                wrong.append((name, "control characters in the message", message))
        if got != reason:
            wrong.append((name, f"expected {reason}, got {got}", message))
        if time.perf_counter() - started > 5:
            wrong.append((name, "took more than 5 s", ""))
    assert not wrong


def test_pdf_failures_keep_the_pdfium_error_as_cause(bad):
    folder, _ = bad
    for name in ("password.pdf", "truncated.pdf", "garbage-header.pdf"):
        error = _error(folder / name)
        assert type(error.__cause__).__name__ == "PdfiumError", name
    assert "truncated" in str(_error(folder / "truncated.pdf"))
    assert "looks like HTML" in str(_error(folder / "html-named.pdf"))
    with pytest.raises(EncryptedFileError, match="password.pdf is password-protected"):
        render_pdf_page(folder / "password.pdf", 0)
    with pytest.raises(UnsupportedFileError):
        render_pdf_page(folder / "hostile.html", 0)


def test_good_pdf_skips_blank_pages_but_keeps_page_numbers(bad):
    folder, _ = bad
    doc = _load(folder / "good.pdf")
    assert [p.page for p in doc.pages] == [0, 2]
    assert doc.pages[0].text.splitlines() == mbf.GOOD_PDF_PAGES[0]
    assert "We sold 1,818 BTC for $161.6 million." in doc.pages[1].text
    for name in ("owner-only-encrypted.pdf", "javascript-openaction.pdf", "outline-loop.pdf"):
        assert [p.text for p in _load(folder / name).pages] == [p.text for p in doc.pages], name
    assert "EVIL_PDF_JS" not in _load(folder / "javascript-openaction.pdf").pages[0].text
    assert Image.open(io.BytesIO(render_pdf_page(folder / "good.pdf", 2))).size == (918, 1188)


def test_html_drops_scripts_frames_handlers_and_chrome(bad):
    folder, _ = bad
    doc = _load(folder / "hostile.html")
    text = "\n".join(p.text for p in doc.pages)
    for marker in mbf.SCRIPT_MARKERS:
        assert marker not in text
    assert "alert" not in text and "Site header" not in text and "Copyright footer" not in text
    lines = text.splitlines()
    assert lines[:2] == ["Quarterly update", "Revenue rose to $161.6 million."]
    assert "Revenue | $1,234 | $1,000" in lines and "Margin | 12.5% | 11.0%" in lines
    assert lines[-2:] == ["Second paragraph", "on two lines."]
    assert doc.title == "Plain title" and [p.page for p in doc.pages] == [0]


def test_html_article_metadata(bad):
    folder, _ = bad
    doc = _load(folder / "article.htm")
    assert (doc.title, doc.date, doc.url) == ("Riot pivots to AI data centres", "2025-02-03", "https://example.com/riot-ai")
    assert doc.pages[0].text == "Riot pivots to AI\nThe miner sold 1,818 BTC."


def test_front_matter_becomes_metadata_and_leaves_the_text(bad):
    folder, _ = bad
    doc = _load(folder / "frontmatter.md")
    assert (doc.title, doc.date, doc.url) == ("Riot Platforms Q4 letter", "2025-02-03", "https://example.com/letter")
    assert (doc.company, doc.period, doc.doc_type) == ("Riot Platforms", "2024Q4", "letter")
    assert doc.extra["author"] == "IR team"
    assert doc.pages[0].text.startswith("# Letter") and "title:" not in doc.pages[0].text
    assert _load(folder / "utf8-bom.md").title == "Title"


def test_sidecar_overrides_name_and_file_metadata(bad, tmp_path):
    folder, _ = bad
    pdf = tmp_path / "ACME_2023_10K.pdf"
    shutil.copy(folder / "good.pdf", pdf)
    assert load_document(pdf).company == "ACME"
    (tmp_path / "ACME_2023_10K.meta.json").write_text(json.dumps({
        "title": "Acme annual report", "company": "Acme Robotics", "source_url": "https://example.com/acme",
        "date": "2024-02-01", "doc_type": "10-K", "sector": "Industrials"}))
    doc = load_document(pdf)
    assert (doc.title, doc.company, doc.url, doc.date) == ("Acme annual report", "Acme Robotics",
                                                             "https://example.com/acme", "2024-02-01")
    assert (doc.period, doc.doc_type, doc.extra["sector"]) == ("2023", "10k", "Industrials")  # as filters spell it
    (tmp_path / "ACME_2023_10K.pdf.meta.json").write_text('{"url": "javascript:alert(1)", "title": "Exact"}')
    doc = load_document(pdf)
    assert doc.title == "Exact" and doc.url == ""  # only http(s) links survive
    (tmp_path / "ACME_2023_10K.pdf.meta.json").write_text("{not json")
    with pytest.raises(CorruptFileError, match=r"ACME_2023_10K\.pdf\.meta\.json .*fix it or delete it"):
        load_document(pdf)


def test_legacy_encodings_decode_when_plausible(bad):
    folder, _ = bad
    for name in ("shift_jis.txt", "euc_jp.txt"):
        doc = _load(folder / name)
        assert doc.pages[0].text == mbf.JAPANESE.strip() and doc.lang == "ja" and doc.pages[0].lang == "ja", name
    assert _load(folder / "cp1252.txt").pages[0].text == "Café résumé: revenue of €1.2 million — “up” 5%."
    assert "Straße" in _load(folder / "latin1.md").pages[0].text
    assert _load(folder / "legacy-cp1252.html").pages[0].text == "Café revenue €5"
    assert _load(folder / "utf16-bom.txt").pages[0].text == "Revenue 1,234 — 売上高"
    offset = len("Résumé of the year — naïve café.\n".encode())
    message = str(_error(folder / "mixed-utf8.txt"))
    assert f"mostly UTF-8 but has an invalid byte 0xff at offset {offset}" in message


def test_invisible_and_bidi_characters_are_removed(bad):
    folder, _ = bad
    assert _load(folder / "bidi-override.txt").pages[0].text == "Total regdub revenue 1,234."


def test_big_repetitive_text_loads_quickly_in_bounded_pages(bad):
    folder, _ = bad
    started = time.perf_counter()
    doc = _load(folder / "repeated.txt")
    assert time.perf_counter() - started < 5
    assert [p.page for p in doc.pages] == list(range(len(doc.pages))) and len(doc.pages) > 300
    assert all(len(p.text) <= PAGE_CHARS for p in doc.pages)
    assert all(p.text.endswith("dull boy.") for p in doc.pages)  # cut at line ends
    assert sum(p.text.count("Jack") for p in doc.pages) == 100_000
    words = sum(len(p.text.split()) for p in _load(folder / "one-long-line.txt").pages)
    assert words == 400_000


def test_injected_instructions_are_kept_as_data(bad):
    folder, _ = bad
    assert mbf.INJECTION in _load(folder / "injection.txt").pages[0].text


def test_odd_file_names_load_and_are_shown_escaped(bad, tmp_path):
    folder, expected = bad
    odd = next(n for n in expected if "\x1b" in n)
    assert _load(folder / odd).doc_name == Path(odd).stem
    long_name = next(n for n in expected if len(n.encode()) == 255)
    assert _load(folder / long_name).doc_name == long_name[:-4]
    broken = tmp_path / "bad\x1b[2J\nname.pdf"
    broken.write_bytes(b"%PDF-1.4\ngarbage")
    message = str(_error(broken))
    assert "bad\\x1b[2J\\x0aname.pdf is a damaged PDF" in message


def test_too_large_message_gives_size_and_limit(bad):
    folder, _ = bad
    message = str(_error(folder / "too-large.txt"))
    assert "8,000,001 bytes" in message and "8,000,000 bytes" in message


def test_iter_files_expands_folders_and_reports_skips(bad, tmp_path):
    folder, expected = bad
    (folder / ".hidden.txt").write_text("hidden")
    (folder / ".git").mkdir(exist_ok=True)
    (folder / ".git" / "inside.txt").write_text("hidden folder")
    (folder / "good.meta.json").write_text("{}")
    sub = folder / "sub"
    sub.mkdir(exist_ok=True)
    (sub / "nested.md").write_text("# nested")
    files, skipped = iter_files([folder, folder / "good.pdf", tmp_path / "missing.pdf"])
    names = [f.name for f in files]
    assert files == sorted(files, key=lambda f: f.parts)
    assert "nested.md" in names and names.count("good.pdf") == 1
    assert not {".hidden.txt", "inside.txt", "good.meta.json"} & set(names)
    supported = {n for n in expected if Path(n).suffix.lower() in SUPPORTED_SUFFIXES} - {"folder.pdf", "pipe.txt"}
    assert supported <= set(names)
    reasons = {Path(p).name: e.reason for p, e in skipped}
    assert reasons["notes.docx"] == reasons["README"] == reasons["pipe.txt"] == "unsupported"
    assert reasons["missing.pdf"] == "unreadable"
    assert "missing.pdf does not exist" in str(dict(skipped)[str(tmp_path / "missing.pdf")])
    assert all(isinstance(e, LoaderError) for _, e in skipped)


def test_concurrent_render_and_load_do_not_crash(bad):
    folder, _ = bad
    errors = []

    def work(i: int) -> None:
        try:
            for _ in range(5):
                render_pdf_page(folder / "good.pdf", 0, scale=0.5)
                _load(folder / "owner-only-encrypted.pdf")
        except Exception as e:  # noqa: BLE001  collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# --- pure helpers -------------------------------------------------------------------------


def test_detect_lang():
    assert detect_lang("売上高は前年比18％増の1億6,160万ドルとなった。") == "ja"
    assert detect_lang("Riot sold 1,818 BTC for $161.6 million.") == "en"
    assert detect_lang("Revenue grew 18% in the year; 売上 is the Japanese word for sales.") == "en"
    assert detect_lang("AIデータセンターへの転換 (AI data center pivot)") == "ja"
    assert detect_lang("") == "en" and detect_lang("1,234 5,678") == "en"
    # a question with English names is Japanese at a lower share than a page is
    question = "Riot PlatformsとCleanSparkのAI転換は?"
    assert detect_lang(question) == "en" and detect_lang(question, QUESTION_SHARE) == "ja"


def test_clean_text():
    assert clean_text("a  b\u00a0\u00a0c\x00d\r\n  e\t\tf  \n\n\n\ng") == "a b cd\ne f\n\ng"
    assert clean_text("Non\ufffecontrolling cloud\x02based \ufb01nance\u200b") == "Non-controlling cloud-based finance"
    assert clean_text("\uf0b7 item") == "• item"


def test_split_long_text_prefers_paragraph_ends():
    paragraphs = [f"Paragraph {i} " + "word " * 300 for i in range(30)]
    pages = split_long_text("\n\n".join(p.strip() for p in paragraphs), limit=5000)
    assert all(len(p) <= 5000 for p in pages)
    assert all(p.startswith("Paragraph") for p in pages)
    assert sum(p.count("Paragraph") for p in pages) == 30
    assert split_long_text("short") == ["short"]


def test_markdown_soft_wraps_are_joined_but_blocks_kept():
    from rag.text.markdown import unwrap_markdown

    text = "# Title\nline one of a\nparagraph here.\n\n- item one\n  continues\n- item two\n| a | b |\n| 1 | 2 |\n"
    assert unwrap_markdown(text).split("\n")[:6] == [
        "# Title", "line one of a paragraph here.", "", "- item one continues", "- item two", "| a | b |"]
