"""What every page shares: the cached stores, the interface language, the sidebar status and filters."""

from __future__ import annotations

import streamlit as st

from rag.config import get_settings
from rag.ingestion.pipeline import list_documents
from rag.answers.llm import get_chat_model
from rag.retrieval.filters import Filters
from rag.store.stores import Stores, open_stores
from app_pages.ui_text import t


@st.cache_resource(show_spinner="Loading the index…")
def _stores(data_dir: str, chroma_host: str | None, chroma_port: int, embedder: str) -> Stores:
    return open_stores(get_settings(data_dir=data_dir, chroma_host=chroma_host, chroma_port=chroma_port,
                                    embedding_provider=embedder))


def get_stores() -> Stores:
    s = get_settings()
    return _stores(str(s.data_dir), s.chroma_host, s.chroma_port, s.embedding_provider)


@st.cache_resource(show_spinner=False)
def _chat(base_url: str | None, model: str, mode: str, has_key: bool):
    return get_chat_model(get_settings())


def get_chat():
    s = get_settings()
    return _chat(s.openai_base_url, s.llm_model, s.llm_mode, s.openai_api_key is not None)


def lang() -> str:
    return "ja" if st.session_state.get("ui_lang_choice") == "日本語" else "en"


def sidebar_status(stores: Stores) -> None:
    L = lang()
    docs = list_documents(stores)
    with st.sidebar.expander(t("status", L), expanded=False):
        try:
            chat = get_chat()
        except Exception as exc:  # a bad model setting must not hide the rest of the app
            chat = None
            st.warning(str(exc))
        if chat is None:
            st.markdown(f"**{t('mode', L)}:** {t('mode_extractive', L)}")
            st.caption(t("enable_model", L))
        else:
            d = chat.describe()
            where = d.get("base_url") or "OpenAI"
            st.markdown(f"**{t('mode', L)}:** {d.get('mode', '')} · {where}")
            st.markdown(f"**{t('model', L)}:** {d.get('model', '')}")
        st.markdown(f"**{t('embedder', L)}:** {stores.embedder.model_id}")
        st.markdown(f"**{t('documents', L)}:** {len(docs)} · **{t('chunks', L)}:** "
                    f"{sum(int(d['n_chunks']) for d in docs)}")


def sidebar_filters(docs: list[dict]) -> Filters:
    L = lang()
    st.sidebar.subheader(t("filters", L))
    any_ = t("any", L)

    def choice(label: str, field: str) -> str:
        values = sorted({str(d.get(field) or "") for d in docs} - {""})
        picked = st.sidebar.selectbox(t(label, L), [any_, *values], key=f"filter_{field}")
        return "" if picked == any_ else picked

    return Filters(company=choice("company", "company"), period=choice("period", "period"),
                   doc_type=choice("doc_type", "doc_type"))
