"""Files to pages to chunks, in the order they run: files, uploads, metadata, pdf/html/text, loaders
(one file to a Document), names, sections and page_sections, chunking, pipeline (the ingest itself)."""
