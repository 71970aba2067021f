"""HTML to PDF for every document kind: one renderer, offline by construction.

Each kind's template extends `documents/pdf/base.html` (cover, running header and footer, the
page CSS); its context builder supplies the rest.
"""

from collections.abc import Callable
from typing import Any

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string

from engagements.models import Engagement
from engagements.registry import DocumentKind

Progress = Callable[[int, str], None]
"""progress(percent, step): where a render is, written to the version's job record."""


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # A document must render offline and must not be turned into a request to anywhere by
    # content a user typed; the templates embed everything they need.
    if url.startswith("data:"):
        return weasyprint.default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"Documents do not load external resources ({url[:80]}).")


def html_to_document(html: str) -> weasyprint.Document:
    return weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=_no_fetching
    ).render()


def document_html(kind: DocumentKind, engagement: Engagement, *, version_number: int) -> str:
    context = kind.context(engagement, version_number=version_number)
    return render_to_string(kind.template, {**context, "document": kind})


def document_pdf(
    kind: DocumentKind,
    engagement: Engagement,
    *,
    version_number: int,
    progress: Progress | None = None,
) -> tuple[bytes, int]:
    """The document as PDF bytes and its page count; `progress` is told each step."""

    def report(percent: int, step: str) -> None:
        if progress is not None:
            progress(percent, step)

    report(10, f"Gathering the {kind.noun}")
    html = document_html(kind, engagement, version_number=version_number)
    report(35, f"Laying out the {kind.noun}")
    document = html_to_document(html)
    report(85, "Writing the PDF")
    return document.write_pdf(), len(document.pages)
