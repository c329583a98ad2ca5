from rag.schema import Chunk, Document, Page
from rag.store.keywords import KeywordIndex, keyword_text, match_expression


def test_keyword_text_keeps_numbers_whole_and_bigrams_japanese():
    assert "1818" in keyword_text("sold 1,818 BTC")
    assert "161d6" in keyword_text("$161.6 million")
    assert keyword_text("売上高").split() == ["売上", "上高"]


def test_match_expression_quotes_phrases_and_dedupes():
    expr = match_expression(["net sales", "Net Sales", "revenue", "", "!!"])
    assert expr == '"net sales" OR "revenue"'
    assert match_expression(['say "hi"']) == '"say hi"'


def _doc(name: str, texts: list[str]) -> tuple[Document, list[Chunk]]:
    doc = Document(name, f"/x/{name}.txt", "a" * 64, [Page(i, t) for i, t in enumerate(texts)], company="ACME")
    chunks = [Chunk(f"{name}-{i}", name, i, 0, t, t, {"doc_name": name, "page": i}) for i, t in enumerate(texts)]
    return doc, chunks


def test_search_ranks_matching_chunk_first_and_filters(tmp_path):
    idx = KeywordIndex(tmp_path / "k.sqlite")
    idx.replace_document(*_doc("a", ["Revenue grew to 1,818 units", "The weather was fine"]))
    idx.replace_document(*_doc("b", ["売上高は増加した", "Revenue fell"]))
    hits = idx.search(["revenue", "1,818"], 5)
    assert hits[0][0] == "a-0"
    assert {h[0] for h in idx.search(["revenue"], 5, doc_names=["b"])} == {"b-1"}
    assert idx.search(["売上高"], 5)[0][0] == "b-0"
    assert idx.search([], 5) == []


def test_replace_and_delete_keep_fts_in_step(tmp_path):
    idx = KeywordIndex(tmp_path / "k.sqlite")
    idx.replace_document(*_doc("a", ["alpha text", "beta text"]))
    idx.replace_document(*_doc("a", ["gamma text"]))
    assert idx.chunk_ids() == {"a-0"}
    assert idx.search(["alpha"], 5) == []
    assert idx.get_document("a")["n_chunks"] == 1
    idx.delete_document("a")
    assert idx.search(["gamma"], 5) == [] and idx.list_documents() == []
