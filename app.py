"""shiftbrief in the browser: a thin view over rag/. Run with `make run`."""

from __future__ import annotations

import streamlit as st

from app_pages.common import get_stores, lang, plain, sidebar_status
from app_pages.ui_text import t
from rag.errors import ShiftbriefError

st.set_page_config(page_title="shiftbrief", page_icon="📑", layout="wide")

st.sidebar.radio(t("ui_language", lang()), ["English", "日本語"], key="ui_lang_choice", horizontal=True)
try:
    stores = get_stores()
except ShiftbriefError as exc:
    st.error(plain(exc))
    st.stop()
sidebar_status(stores)

pages = [
    st.Page("app_pages/ask.py", title=t("ask", lang()), icon="💬", default=True),
    st.Page("app_pages/brief.py", title=t("brief", lang()), icon="📝"),
    st.Page("app_pages/library.py", title=t("library", lang()), icon="📚"),
    st.Page("app_pages/evaluate.py", title=t("evaluate", lang()), icon="📊"),
]
st.navigation(pages).run()
