-- Print only: each pandoc note becomes an inline <span class="footnote"> at its call, which
-- print.css floats to the foot of the page (WeasyPrint's `float: footnote`). The EPUB keeps
-- pandoc's linked endnotes.
function Note(note)
  local inlines = pandoc.utils.blocks_to_inlines(note.content, {pandoc.LineBreak()})
  return pandoc.Span(inlines, {class = "footnote"})
end
