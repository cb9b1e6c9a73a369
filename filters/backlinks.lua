--[==[
backlinks.lua: the citations and the bibliography, after citeproc.

Runs after citeproc (put --citeproc before --lua-filter).

- Every citation in this book is the editors' addition to the authors' text, so each is set in
  square brackets, the scholarly mark of an editorial interpolation: "[Charap and Shapiro
  2022]", "Macron's [2022c] observation" (citeproc's parentheses become brackets).
- Every citation the annotate stage placed is a span
  `[[@key]]{#cite-key-para .citation-ref label="Greene ¶ 3"}`; the bibliography entry
  `div#ref-key` that citeproc wrote gets "Cited at: Greene ¶ 3, ..." (links to those spans).
  In print, CSS adds the page number of each target.
- An entry whose CSL-JSON item has a `note` (what the editors know or doubt about it: "which
  report Freedman meant is not known") prints it after the entry, in brackets, as an
  editor's note: the bibliography never states as firm what the data marks as uncertain.
- In print (html5) the entries become a list, so that the tagged PDF has L/LI for them; the
  EPUB keeps citeproc's divs, which pandoc marks role="list"/"listitem".
]==]

local NOTE_LABEL = "Editor’s note:"

local function collect(doc)
  local places = {}
  doc:walk({
    Span = function(span)
      if span.classes:includes("citation-ref") then
        for _, inline in ipairs(span.content) do
          if inline.t == "Cite" then
            for _, citation in ipairs(inline.citations) do
              local list = places[citation.id] or {}
              list[#list + 1] = { id = span.identifier, label = span.attributes.label }
              places[citation.id] = list
            end
          end
        end
      end
    end,
  })
  return places
end

local function notes_by_key(doc)
  local notes = {}
  for _, ref in ipairs(pandoc.utils.references(doc)) do
    if ref.note then
      notes[ref.id] = pandoc.utils.stringify(ref.note)
    end
  end
  return notes
end

local function cited_at(list)
  local inlines = pandoc.Inlines({ pandoc.Span("Cited at:", { class = "cited-at-label" }) })
  for i, place in ipairs(list) do
    inlines:insert(pandoc.Space())
    inlines:insert(pandoc.Link(place.label, "#" .. place.id, "", { class = "backlink" }))
    if i < #list then
      inlines:insert(pandoc.Str(","))
    end
  end
  return pandoc.Div(pandoc.Plain(inlines), { class = "cited-at" })
end

-- The note as plain text (never read as Markdown), bracketed and labelled as the editors'.
local function entry_note(text)
  local inlines = pandoc.Inlines({ pandoc.Str("["),
    pandoc.Span(NOTE_LABEL, { class = "editor-note-label" }), pandoc.Space() })
  inlines:extend(pandoc.Inlines(text))
  inlines:insert(pandoc.Str("]"))
  return pandoc.Span(inlines, { class = "entry-note" })
end

-- (Author 2022) -> [Author 2022]: only a citation that citeproc set in parentheses.
local function bracketed(cite)
  local first, last = cite.content[1], cite.content[#cite.content]
  if first and last and first.t == "Str" and last.t == "Str"
      and first.text:sub(1, 1) == "(" and last.text:sub(-1) == ")" then
    first.text = "[" .. first.text:sub(2)
    last.text = last.text:sub(1, -2) .. "]"
    cite.content[1], cite.content[#cite.content] = first, last
    return cite
  end
end

local function as_list(refs)
  local items = {}
  for _, block in ipairs(refs.content) do
    items[#items + 1] = { block }
  end
  return pandoc.Div({ pandoc.BulletList(items) }, refs.attr)
end

function Pandoc(doc)
  local places, notes = collect(doc), notes_by_key(doc)
  doc = doc:walk({
    Cite = bracketed,
    Div = function(div)
      local key = div.identifier:match("^ref%-(.+)$")
      if key and div.classes:includes("csl-entry") then
        local first = div.content[1]
        if notes[key] and first and (first.t == "Para" or first.t == "Plain") then
          first.content:insert(pandoc.Space())
          first.content:insert(entry_note(notes[key]))
        end
        if places[key] then
          div.content:insert(cited_at(places[key]))
        end
        return div
      end
    end,
  })
  if FORMAT:match("html") and not FORMAT:match("epub") then
    doc = doc:walk({
      Div = function(div)
        if div.identifier == "refs" then
          return as_list(div)
        end
      end,
    })
  end
  return doc
end
