"""What every page shares: the cached stores, the interface language, the sidebar status and filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages.ui_text import t
from rag.answers.llm import ChatModel, get_chat_model
from rag.config import get_settings
from rag.ingestion.pipeline import list_documents
from rag.retrieval.filters import Filters
from rag.store.stores import Stores, open_stores, store_settings
from rag.text.safe import escape_markdown, redact_urls

# The API key is hashed into the cache key (never stored in it): a changed key must not reuse the old clients.
_HASH_SECRETS: dict[str | type[Any], Callable[[Any], Any]] = {
    "pydantic.types.SecretStr": lambda secret: secret.get_secret_value()}


@st.cache_resource(show_spinner="Loading the index…", hash_funcs=_HASH_SECRETS)
def _stores(**settings: Any) -> Stores:
    return open_stores(get_settings(**settings))


def get_stores() -> Stores:
    """The stores for the current settings (every setting they depend on is part of the cache key), their vector
    store reopened when the catalog changed: another process (`shiftbrief ingest`) may have written to it."""
    stores = _stores(**store_settings(get_settings()))
    stores.follow_catalog()
    return stores


def plain(text: object) -> str:
    """Text from a document, a file name, a model or a server, for any place Streamlit renders as Markdown
    (bodies, labels, alerts, progress text): shown as written, never as markup or a live link, no credentials."""
    return escape_markdown(redact_urls(str(text)))


@st.cache_resource(show_spinner=False, hash_funcs=_HASH_SECRETS)
def _chat(**settings: Any) -> ChatModel | None:
    return get_chat_model(get_settings(**settings))


def get_chat() -> ChatModel | None:
    """The chat model for the current settings (None in extractive mode), cached on all of them."""
    s = get_settings()
    return _chat(**{name: getattr(s, name) for name in type(s).model_fields})


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
            st.warning(plain(exc))
        if chat is None:
            st.markdown(f"**{t('mode', L)}:** {t('mode_extractive', L)}")
            st.caption(t("enable_model", L))
        else:
            d = chat.describe()
            where = d.get("base_url") or "OpenAI"
            st.markdown(f"**{t('mode', L)}:** {plain(d.get('mode', ''))} · {plain(where)}")
            st.markdown(f"**{t('model', L)}:** {plain(d.get('model', ''))}")
        st.markdown(f"**{t('embedder', L)}:** {plain(stores.embedder.model_id)}")
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
