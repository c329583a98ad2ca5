"""Files to pages to chunks: loaders, metadata, sections, chunking, the ingest pipeline."""
