"""coursepack: build course-pack readers (print PDF and EPUB 3) from raw source texts.

Stages, one module each, data flowing one way:
clean (raw text -> cleaned Markdown + audit) -> annotate (paragraph ids, citations,
glossary marks, editor's notes) -> assemble (one Markdown document, Jinja2) ->
render_pdf (WeasyPrint) / render_epub (pandoc) -> check (validators) -> dist.
"""
