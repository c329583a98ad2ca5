from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rag.ingestion.chunking import chunk_id, chunk_pages, is_table_row, split_page_text
from rag.schema import Document, Page
from rag.text.tokens import count_tokens

TABLE_PAGE = """CONSOLIDATED STATEMENTS OF OPERATIONS
(in millions, except per share amounts)
Year ended December 31 2022 2021
Net sales 34,229 35,355
Cost of sales 19,232 18,795
Gross profit 14,997 16,560
Selling, general and administrative expenses 6,990 7,197
Operating income 6,539 7,369
"""


def _doc(*texts: str) -> Document:
    return Document("ACME_2022_10K", "x.pdf", "0" * 64, [Page(i, t) for i, t in enumerate(texts)],
                    company="ACME", period="2022", doc_type="10k")


def test_table_rows_are_recognised():
    assert is_table_row("Net sales 34,229 35,355")
    assert is_table_row("Operating income $ (1,234) 7,369")
    assert not is_table_row("The company sold its bitcoin in December.")


def test_small_table_stays_in_one_chunk_with_its_title():
    chunks = chunk_pages(_doc(TABLE_PAGE), max_tokens=320)
    assert len(chunks) == 1
    assert "CONSOLIDATED STATEMENTS OF OPERATIONS" in chunks[0].text
    assert "Operating income 6,539 7,369" in chunks[0].text
    assert chunks[0].embed_text.startswith("ACME | 2022 | 10K")


def test_long_table_continuation_keeps_header_as_context():
    rows = "\n".join(f"Line item number {i} {i * 7:,} {i * 9:,}" for i in range(200))
    page = "CONSOLIDATED BALANCE SHEETS\n(in millions)\n" + rows
    chunks = chunk_pages(_doc(page), max_tokens=120, overlap=0)
    assert len(chunks) > 3
    for c in chunks:
        for line in c.text.splitlines():
            assert line.startswith("Line item") or line.isupper() or line.startswith("(")
    assert all("CONSOLIDATED BALANCE SHEETS" in c.text or "CONSOLIDATED BALANCE SHEETS" in c.context
               for c in chunks)
    assert all("CONSOLIDATED BALANCE SHEETS" not in c.embed_text for c in chunks[1:])  # not paid for in vectors


def test_chunks_never_cross_pages_and_ids_are_stable():
    doc = _doc("alpha " * 500, "beta " * 500)
    a = chunk_pages(doc, max_tokens=100, overlap=10)
    b = chunk_pages(doc, max_tokens=100, overlap=10)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)
    for c in a:
        assert ("alpha" in c.text) != ("beta" in c.text)
        assert c.page == (0 if "alpha" in c.text else 1)


def test_chunk_id_depends_on_content():
    assert chunk_id("d", 0, 0, "x") != chunk_id("d", 0, 0, "y")
    assert chunk_id("d", 0, 0, "x") != chunk_id("e", 0, 0, "x")


@hsettings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=120),
             max_size=40),
    st.integers(min_value=16, max_value=200),
)
def test_split_respects_budget_and_loses_no_line(lines, max_tokens):
    text = "\n".join(lines)
    pieces = split_page_text(text, max_tokens=max_tokens, overlap=max_tokens // 4)
    for piece, _ in pieces:
        assert count_tokens(piece) <= max_tokens + max_tokens  # a line is split at most on token bounds
    joined = "\n".join(p for p, _ in pieces)
    for line in lines:
        if line.strip() and count_tokens(line) <= max_tokens:
            assert line in joined
