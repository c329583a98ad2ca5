"""shiftbrief in the browser: a thin view over rag/."""

from __future__ import annotations

import streamlit as st

from rag.config import get_settings
from rag.errors import ShiftbriefError
from rag.ingest import list_documents
from rag.retrieve import search
from rag.stores import open_stores

st.set_page_config(page_title="shiftbrief", page_icon="📑", layout="wide")


@st.cache_resource(show_spinner="Loading the index…")
def get_stores(data_dir: str):
    return open_stores(get_settings(data_dir=data_dir))


settings = get_settings()
try:
    stores = get_stores(str(settings.data_dir))
except ShiftbriefError as exc:
    st.error(str(exc))
    st.stop()

st.title("shiftbrief")
docs = list_documents(stores)
if not docs:
    st.info("No documents are indexed yet. Run `make run` (or `shiftbrief ingest corpus/`) and reload this page.")
    st.stop()
st.caption(f"{len(docs)} documents · {sum(d['n_chunks'] for d in docs)} passages")

question = st.text_input("Search the documents (English or Japanese)", key="question")
if question:
    try:
        hits = search(question, stores, k=8)
    except ShiftbriefError as exc:
        st.warning(str(exc))
        st.stop()
    if not hits:
        st.info("No passages found.")
    for i, hit in enumerate(hits, 1):
        with st.container(border=True):
            st.markdown(f"**{i}. {hit.doc_name}** · page {hit.page + 1}")
            st.text(hit.text)
