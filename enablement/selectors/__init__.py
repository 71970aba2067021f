"""Reads of Phase 6 that pages, PDFs, the gate and the API share."""
