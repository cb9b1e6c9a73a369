-- EPUB only: a paragraph's anchor []{#greene-p4 .pnum n="4"} becomes the link target (an empty
-- span with the id) followed by the visible number, hidden from screen readers so that it is
-- not read before every paragraph. Print shows the number with CSS instead (paragraph-numbers.css).
function Span(span)
  local n = span.attributes.n
  if not (n and span.classes:includes("pnum")) then
    return nil
  end
  return {
    pandoc.Span({}, {id = span.identifier}),
    -- the space keeps the number apart from the first word in text views (calibre's TXT)
    pandoc.Span({pandoc.Str(n), pandoc.Space()}, {class = "pnum", ["aria-hidden"] = "true"}),
  }
end
