"""Library: upload files, see what is indexed and where its metadata came from, correct it, delete, re-index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import get_stores, lang, plain
from app_pages.ui_text import source_label, t
from rag.errors import ShiftbriefError
from rag.ingestion.files import SUPPORTED_SUFFIXES
from rag.ingestion.overrides import (
    TAGGABLE,
    normalize_override,
    stored_overrides,
    stored_sources,
)
from rag.ingestion.pipeline import delete_document, ingest, list_documents
from rag.ingestion.tagging import tag_document
from rag.ingestion.uploads import MAX_FILES_PER_UPLOAD, remove_upload, save_uploads
from rag.text.safe import escape_markdown

L = lang()
stores = get_stores()
st.title(t("library", L))
# What the last action did, kept across the rerun that shows its effect in the table.
if note := st.session_state.pop("library_note", None):
    st.success(note)


def run_ingest(paths: list[Path], prune: bool = False) -> None:
    bar = st.progress(0.0, text=t("ingest", L))

    def on_progress(done: int, total: int, name: str) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done}/{total} {plain(name)}")

    try:
        report = ingest(paths, stores, prune=prune, on_progress=on_progress)
    except ShiftbriefError as exc:
        st.error(plain(exc))
        return
    st.success(f"{report.ingested} ingested · {report.unchanged} unchanged · {report.chunks} passages · "
               f"{len(report.skipped)} {t('skipped', L).lower()} · {len(report.failed)} {t('failed', L).lower()}")
    for path, why in report.skipped + report.failed:
        st.warning(f"{escape_markdown(Path(path).name)}: {escape_markdown(why)}")


def upload_form() -> None:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(t("upload", L), type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
                                 accept_multiple_files=True, key="uploads")
        submitted = st.form_submit_button(t("ingest", L))
    if not submitted:
        return
    if not files:
        # The uploader drops a file over server.maxUploadSize in the browser, so nothing arrives here.
        limit = min(int(st.get_option("server.maxUploadSize")), stores.settings.max_file_mb)
        st.warning(t("no_files", L).format(mb=limit))
        return
    if len(files) > MAX_FILES_PER_UPLOAD:
        st.warning(t("too_many_files", L).format(n=MAX_FILES_PER_UPLOAD))
    result = save_uploads([(f.name, f.getvalue()) for f in files], stores.settings)
    for name, why in result.rejected:
        st.warning(f"{escape_markdown(name)}: {escape_markdown(why)}")
    if result.saved:
        run_ingest(result.saved)


def table_rows(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row a document: each taggable value beside where it came from, in the interface language."""
    rows = []
    for d in docs:
        sources = stored_sources(d)
        row: dict[str, Any] = {t("document", L): d["doc_name"]}
        for field in TAGGABLE:
            value = str(d.get(field) or "")
            row[t(field, L)] = value
            row[t("source_of", L).format(field=t(field, L))] = source_label(sources.get(field, ""), L) if value else ""
        row.update({t("language", L): d.get("lang", ""), t("pages", L): d["n_pages"], t("chunks", L): d["n_chunks"],
                    t("title", L): d.get("title", "")})
        rows.append(row)
    return rows


def _done(note: str) -> None:
    """Keep the note for the next run, refill the correction form from the catalog, and show the change."""
    st.session_state.library_note = note
    st.session_state.tag_for = None
    st.rerun()


def _prefill(row: dict[str, Any]) -> None:
    # Widget values are dropped when another page is shown, so refill them then too.
    if st.session_state.get("tag_for") != row["doc_name"] or any(f"tag_{f}" not in st.session_state
                                                                   for f in TAGGABLE):
        for field in TAGGABLE:
            st.session_state[f"tag_{field}"] = str(row.get(field) or "")
        st.session_state.tag_for = row["doc_name"]


def _changes(row: dict[str, Any]) -> dict[str, str]:
    """The fields the form changed; an emptied field counts only when it takes a correction back."""
    corrected = stored_overrides(row)
    given = {f: " ".join(str(st.session_state.get(f"tag_{f}", "")).split()) for f in TAGGABLE}
    return {f: v for f, v in given.items() if not _same(f, v, str(row.get(f) or "")) and (v or f in corrected)}


def _same(field: str, given: str, current: str) -> bool:
    """True when the typed value is the stored one as the index writes it ('10-K' is '10k')."""
    try:
        return normalize_override(field, given) == current
    except ShiftbriefError:
        return False  # tag_document says why


def correction_form(docs: list[dict[str, Any]]) -> None:
    st.subheader(t("correct", L))
    by_name = {d["doc_name"]: d for d in docs}
    chosen = st.selectbox(t("correct_which", L), list(by_name), key="tag_doc")
    row = by_name[chosen]
    _prefill(row)
    sources = stored_sources(row)
    with st.form("tag_form"):
        st.caption(t("correct_help", L))
        for column, field in zip(st.columns(len(TAGGABLE)), TAGGABLE):
            with column:
                st.text_input(t(field, L), key=f"tag_{field}")
                if row.get(field):
                    st.caption(f"{t('source', L)}: {escape_markdown(source_label(sources.get(field, ''), L))}")
        save = st.form_submit_button(t("save", L), key="tag_save")
    if save:
        changed = _changes(row)
        if not changed:
            st.info(t("nothing_changed", L))
        elif _tag(chosen, changed):
            _done(f"{t('saved', L)}: {escape_markdown(chosen)}")
    corrected = stored_overrides(row)
    if corrected and st.button(t("reset", L), key="tag_reset") and _tag(chosen, {f: "" for f in corrected}):
        _done(f"{t('reset_done', L)}: {escape_markdown(chosen)}")


def _tag(doc_name: str, values: dict[str, str]) -> bool:
    """Store the corrections ('' takes one back); False, with the reason shown, when they cannot be stored."""
    try:
        tag_document(stores, doc_name, company=values.get("company"), period=values.get("period"),
                     doc_type=values.get("doc_type"))
    except ShiftbriefError as exc:
        st.error(plain(exc))
        return False
    return True


def delete_and_reindex(docs: list[dict[str, Any]]) -> None:
    col1, col2 = st.columns(2)
    with col1:
        victim = st.selectbox(t("delete_which", L), [d["doc_name"] for d in docs], key="delete_choice")
        if st.button(t("delete", L), key="delete_button"):
            source = next(d["source"] for d in docs if d["doc_name"] == victim)
            try:
                n = delete_document(victim, stores)
            except ShiftbriefError as exc:
                st.error(plain(exc))
                return
            # A file the app saved for this document has no other use; one ingested from elsewhere is the user's.
            removed = remove_upload(source, stores.settings)
            _done(f"{t('deleted', L)}: {escape_markdown(victim)} ({n})" + (f" · {t('upload_removed', L)}"
                                                                            if removed else ""))
    with col2:
        if st.button(t("reindex", L), key="reindex_button"):
            sources = sorted({Path(d["source"]) for d in docs})
            run_ingest([p for p in sources if p.exists()], prune=True)


upload_form()
docs = list_documents(stores)
if not docs:
    st.info(t("empty_index", L))
    st.stop()
st.dataframe(table_rows(docs), hide_index=True, use_container_width=True)
correction_form(docs)
delete_and_reindex(docs)
