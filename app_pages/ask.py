"""Ask: a chat over the documents, answers streamed, every citation opening its source."""

from __future__ import annotations

import streamlit as st

from app_pages.common import get_chat, get_stores, lang, plain, sidebar_filters
from app_pages.ui_text import t
from rag.answers.answer import Answer, stream_answer
from rag.errors import ShiftbriefError
from rag.ingestion.pdf import render_pdf_page
from rag.ingestion.pipeline import list_documents
from rag.text.safe import escape_markdown, highlight

L = lang()
stores = get_stores()
docs = list_documents(stores)
st.title(t("ask", L))
if not docs:
    st.info(t("empty_index", L))
    st.stop()
filters = sidebar_filters(docs)
if "messages" not in st.session_state:
    st.session_state.messages = []
if st.sidebar.button(t("clear_chat", L), key="clear_chat"):
    st.session_state.messages = []


def show_answer(ans: Answer, turn: int) -> None:
    if not ans.answerable:
        st.caption(f"🚫 {t('refusal', L)}")
    unsupported = ans.figures.get("unsupported", [])
    if unsupported:
        st.warning(f"{t('unsupported', L)}: " + ", ".join(escape_markdown(f["raw"]) for f in unsupported))
    elif ans.figures.get("supported"):
        st.caption(f"✅ {t('all_supported', L)}")
    other = [e for e in ans.evidence if e.get("lang") != ans.lang]
    if other:  # a Japanese answer's English source sentences (or the other way round): shown as the source
        st.caption("原文" if ans.lang == "ja" else "Original (Japanese)")
        for e in other:
            st.markdown(f"> {escape_markdown(e['quote'])} [{e['n']}]")
    if ans.citations:
        st.caption(f"{t('sources', L)} · {t('confidence', L)} {ans.confidence:.2f}")
    for c in ans.citations:
        title = str(c.metadata.get("title") or c.doc_name)
        label = f"[{c.n}] {plain(title)} · {t('page', L)} {c.page + 1}"  # an expander's label is Markdown
        with st.expander(label):
            facts = [c.metadata.get(k) for k in ("company", "period", "doc_type")] + [c.doc_name]
            st.caption(" · ".join(escape_markdown(str(f)) for f in facts if f))
            st.markdown(highlight(c.text, c.quote))
            source = str(c.metadata.get("source", ""))
            if source.lower().endswith(".pdf"):
                if st.checkbox(t("show_page", L), key=f"page_{turn}_{c.n}"):
                    try:
                        st.image(render_pdf_page(source, c.page))
                    except ShiftbriefError as exc:
                        st.warning(plain(exc))


for i, msg in enumerate(st.session_state.messages):
    with st.chat_message(msg["role"]):
        st.markdown(escape_markdown(msg["content"]).replace("\n", "  \n"))
        if msg.get("answer"):
            show_answer(msg["answer"], i)

if prompt := st.chat_input(t("ask_placeholder", L), key="question"):
    if not prompt.strip():
        st.warning(t("empty_question", L))
        st.stop()
    history = [{"role": m["role"], "content": m["content"]} for m in st.session_state.messages[-8:]]
    with st.chat_message("user"):
        st.markdown(escape_markdown(prompt))
    with st.chat_message("assistant"):
        final: list[Answer] = []

        def pieces():
            for item in stream_answer(prompt, stores, filters=filters, history=history, chat=get_chat()):
                if isinstance(item, Answer):
                    final.append(item)
                else:
                    yield escape_markdown(item)

        try:
            st.write_stream(pieces())
        except ShiftbriefError as exc:
            st.error(plain(exc))  # a model server's words are data too
            st.stop()
        answer = final[-1]
    st.session_state.messages.append({"role": "user", "content": prompt})
    st.session_state.messages.append({"role": "assistant", "content": answer.answer, "answer": answer})
    st.rerun()
