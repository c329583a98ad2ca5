"""Question analysis: language, companies, periods, document types, sections asked about."""
