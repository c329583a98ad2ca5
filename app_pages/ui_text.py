"""The app's interface strings in English and Japanese."""

from __future__ import annotations

import re

STRINGS: dict[str, tuple[str, str]] = {
    "ask": ("Ask", "質問"),
    "brief": ("Brief", "ブリーフィング"),
    "library": ("Library", "ライブラリ"),
    "evaluate": ("Evaluate", "評価"),
    "ui_language": ("Interface language", "表示言語"),
    "status": ("Status", "状態"),
    "mode": ("Mode", "モード"),
    "mode_extractive": ("Extractive (quotes from the documents, no model)", "抜粋モード(モデルなし、資料から引用)"),
    "model": ("Model", "モデル"),
    "embedder": ("Embedder", "埋め込みモデル"),
    "documents": ("Documents", "資料数"),
    "chunks": ("Passages", "パッセージ数"),
    "enable_model": ("To use a chat model, set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server "
                     "(Ollama, vLLM, llama.cpp), and restart.",
                     "チャットモデルを使うには OPENAI_API_KEY、またはローカルサーバーの OPENAI_BASE_URL を設定して再起動してください。"),
    "empty_index": ("No documents yet. Add some on the Library page, or run `make run` to ingest the demo corpus.",
                    "資料がまだありません。ライブラリで追加するか、`make run` でデモ資料を取り込んでください。"),
    "no_company": ("A briefing is about one company, and none of the documents names one. Add a `company:` line to a "
                   "Markdown file's front matter, or a .meta.json file beside it, and ingest it again on the Library page.",
                   "ブリーフィングは企業ごとに作成しますが、企業名のある資料がありません。Markdownのフロントマターに "
                   "`company:` 行を加えるか、隣に .meta.json を置いて、ライブラリで取り込み直してください。"),
    "filters": ("Filters", "絞り込み"),
    "company": ("Company", "企業"),
    "period": ("Period", "期間"),
    "doc_type": ("Document type", "資料の種類"),
    "any": ("Any", "すべて"),
    "ask_placeholder": ("Ask about the documents, in English or Japanese", "資料について質問してください(英語・日本語)"),
    "clear_chat": ("New conversation", "新しい会話"),
    "sources": ("Sources", "出典"),
    "page": ("page", "ページ"),
    "show_page": ("Show the PDF page", "PDFのページを表示"),
    "refusal": ("Not in the documents", "資料に記載なし"),
    "unsupported": ("Figures not found in the cited passages", "引用元で確認できない数値"),
    "all_supported": ("Every figure checked against the sources", "すべての数値を出典で確認済み"),
    "confidence": ("confidence", "確信度"),
    "generate": ("Generate briefing", "ブリーフィングを作成"),
    "choose_docs": ("Documents (optional)", "資料(任意)"),
    "download_md": ("Download Markdown", "Markdownをダウンロード"),
    "download_docx": ("Download DOCX", "DOCXをダウンロード"),
    "key_figures": ("Key figures", "主要な数値"),
    "upload": ("Upload PDF, HTML, TXT or Markdown files", "PDF・HTML・TXT・Markdownファイルをアップロード"),
    "ingest": ("Ingest", "取り込む"),
    "reindex": ("Re-index everything", "すべて再インデックス"),
    "delete": ("Delete", "削除"),
    "delete_which": ("Delete a document", "資料を削除"),
    "deleted": ("Deleted", "削除しました"),
    "skipped": ("Skipped", "スキップ"),
    "failed": ("Failed", "失敗"),
    "no_files": (("No file to ingest. Choose files first; each may be at most {mb} MB (the uploader refuses "
                  "larger ones: ingest those with `shiftbrief ingest PATH`)."),
                 ("取り込むファイルがありません。先にファイルを選んでください。1ファイル{mb} MBまでです(それより"
                  "大きいファイルは `shiftbrief ingest PATH` で取り込んでください)。")),
    "too_many_files": ("Only the first {n} files are taken; upload the rest separately.",
                       "最初の{n}ファイルだけを取り込みます。残りは別にアップロードしてください。"),
    "document": ("Document", "資料"),
    "source": ("Source", "出典"),
    "source_of": ("{field}: source", "{field}の出典"),
    "language": ("Language", "言語"),
    "pages": ("Pages", "ページ数"),
    "title": ("Title", "タイトル"),
    "correct": ("Correct a document's company, period or type", "資料の企業・期間・種類を修正"),
    "correct_which": ("Document to correct", "修正する資料"),
    "correct_help": (("A correction is kept across re-ingests and changes no passage's embedding. Leave a "
                      "field empty to go back to what the document says."),
                     "修正は再取り込み後も保持され、埋め込みは再計算しません。欄を空にすると資料の記載に戻ります。"),
    "save": ("Save correction", "修正を保存"),
    "reset": ("Undo my corrections", "修正を取り消す"),
    "saved": ("Saved", "保存しました"),
    "reset_done": ("Corrections undone", "修正を取り消しました"),
    "nothing_changed": ("Nothing changed.", "変更はありません。"),
    "upload_removed": ("its uploaded file was removed", "アップロードされたファイルも削除しました"),
    "question_set": ("Question set", "質問セット"),
    "limit": ("Questions to run", "実行する質問数"),
    "run_eval": ("Run evaluation", "評価を実行"),
    "failures": ("Failures, question by question", "失敗した質問"),
    "calibration": ("Does the confidence track being right?", "確信度は正しさと一致しているか"),
    "calibration_help": ("Per confidence bin: how often the answer was right (or the refusal justified). "
                         "ECE {ece}, Brier {brier}; lower is better.",
                         "確信度の区間ごとに、回答が正しかった(または回答拒否が妥当だった)割合。ECE {ece}、Brier {brier}(低いほど良い)。"),
    "empty_question": ("Type a question first.", "質問を入力してください。"),
}


# Where a document's company, period or type came from, as the ingest records it ('cover page p.1', 'tag', ...).
SOURCES: list[tuple[str, str, str]] = [
    ("tag", "corrected by you", "ユーザーが修正"),
    ("file name", "file name", "ファイル名"),
    ("front matter", "front matter", "フロントマター"),
    ("sidecar", ".meta.json beside the file", "隣の .meta.json"),
    ("xbrl:", "XBRL tag ", "XBRLタグ "),
    ("xbrl", "XBRL", "XBRL"),
    ("cover page", "cover page", "表紙"),
    ("headline", "headline", "見出し"),
    ("dateline", "dateline", "日付欄"),
    ("byline", "byline", "署名欄"),
    ("title", "title", "表題"),
    ("first lines", "first lines", "冒頭"),
    ("first line", "first line", "冒頭"),
    ("alias table, by prominence", "company names in the text, most frequent first", "本文中の企業名(出現の多い順)"),
]
_PAGE = re.compile(r"\bp\.\s?(\d+)")


def source_label(source: str, lang: str = "en") -> str:
    """Where a metadata value came from, in the interface language ('cover page p.1' -> '表紙 1ページ')."""
    for raw, en, ja in SOURCES:
        if source == raw or source.startswith(raw):
            rest = source[len(raw):].replace("+xbrl:", " + ")
            if lang == "ja":
                rest = _PAGE.sub(r"\1ページ", rest)
                return (ja + rest).strip()
            return (en + _PAGE.sub(r"p. \1", rest)).strip()
    return source


def t(key: str, lang: str = "en") -> str:
    """The interface string for key in 'en' or 'ja' (English when unknown)."""
    en, ja = STRINGS.get(key, (key, key))
    return ja if lang == "ja" else en
