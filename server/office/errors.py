"""The one error an office file can cause: what is wrong and where (``Sheet1!D14``)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["OfficeError"]


class OfficeError(ValueError):
    """A file parindex will not read (or cannot write), said in Vietnamese.

    ``where`` names the place a person can find in Excel or Word: ``Sheet1!D14``, a sheet
    name, or the file itself (``biểu-mẫu.xlsx``). The CLI prints it as one line; the API
    answers 422 (415 for a file that is not a workbook at all), with ``where`` as the
    error's path. Nothing is written when one is raised.
    """

    def __init__(
        self,
        message: str,
        where: str = "",
        *,
        unsupported: bool = False,
        problems: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.message = message
        self.where = where
        # A file of the wrong kind (encrypted, macros, not a zip) rather than wrong content.
        self.unsupported = unsupported
        # Every (where, message) when a file has several problems (a filled form's cells);
        # the first is also ``where``/``message``.
        self.problems = list(problems) or [(where, message)]
        super().__init__(f"{where}: {message}" if where else message)
