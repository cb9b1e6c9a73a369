"""The template files each output is made with, named once for the renderers and for doit."""

# Under templates/: what typesets the PDF editions ...
PDF_STYLESHEETS = ("print.css", "apparatus.css", "paragraph-numbers.css")
PDF_TEMPLATES = ("print.html", "edition.css.j2", *PDF_STYLESHEETS)
# ... and what makes the EPUB.
EPUB_STYLESHEETS = ("epub.css", "apparatus.css", "paragraph-numbers.css")
EPUB_NUMBERS_FILTER = "epub-paragraph-numbers.lua"  # the EPUB's visible ¶ numbers
EPUB_TEMPLATES = ("epub-metadata.xml.j2", EPUB_NUMBERS_FILTER, *EPUB_STYLESHEETS)
