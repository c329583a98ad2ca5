"""Files to pages to chunks, in the order they run: files, uploads, metadata, pdf/html/text, loaders
(one file to a Document), content_meta (company, period and type read from the document itself, with
sec_cover, cover_ja, xbrl, fiscal and meta_value), overrides and tagging (`shiftbrief tag` corrections),
names, sections and page_sections, chunking, pipeline (the ingest itself)."""
