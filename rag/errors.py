"""Domain errors: each message says what went wrong and what to do about it."""

from __future__ import annotations


class ShiftbriefError(Exception):
    """Base class for every error a user can act on."""


class ConfigError(ShiftbriefError):
    """A setting is missing or invalid."""


class LoaderError(ShiftbriefError):
    """A file could not be read as a document."""

    reason = "unreadable"

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        super().__init__(message)


class UnsupportedFileError(LoaderError):
    reason = "unsupported"


class EmptyFileError(LoaderError):
    reason = "empty"


class CorruptFileError(LoaderError):
    reason = "corrupt"


class EncryptedFileError(LoaderError):
    reason = "encrypted"


class NoTextError(LoaderError):
    reason = "no-text"


class EncodingError(LoaderError):
    reason = "encoding"


class FileTooLargeError(LoaderError):
    reason = "too-large"


class OutsideFolderError(LoaderError):
    """A link that leads out of the folder being ingested."""

    reason = "outside-folder"


class TextLimitError(LoaderError):
    """A file whose text would be too large to extract safely."""

    reason = "too-much-text"


class StoreError(ShiftbriefError):
    """The vector store or keyword index could not be used."""


class CorruptStoreError(StoreError):
    """A store's file is damaged; the message names the file and how to rebuild it."""


class IngestLockedError(StoreError):
    """Another ingest holds the data directory."""


class DocumentNotFoundError(ShiftbriefError):
    """No indexed document has that name."""


class EmbeddingError(ShiftbriefError):
    """The embedding model could not be loaded or called."""


class LLMError(ShiftbriefError):
    """The chat model could not be reached or refused the request."""


class QuestionError(ShiftbriefError):
    """A question is empty, too long or otherwise unusable."""
