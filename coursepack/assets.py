"""The template files each output is made with, named once for the renderers and for doit."""

# Under templates/: what typesets the PDF editions ...
PDF_STYLESHEETS = ("print.css", "apparatus.css")
PDF_TEMPLATES = ("print.html", "edition.css.j2", *PDF_STYLESHEETS)
# ... and what makes the EPUB.
EPUB_STYLESHEETS = ("epub.css", "apparatus.css")
EPUB_TEMPLATES = ("epub-metadata.xml.j2", *EPUB_STYLESHEETS)
