--[==[
backlinks.lua: give each bibliography entry links back to the places that cite it.

Runs after citeproc (put --citeproc before --lua-filter). Every citation the annotate
stage placed is a span `[[@key]]{#cite-key-para .citation-ref label="Greene ¶ 3"}`;
this filter appends "Cited at: Greene ¶ 3, ..." (links to those spans) to the entry
`div#ref-key` that citeproc wrote. In print, CSS adds the page number of each target.
]==]

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

function Pandoc(doc)
  local places = collect(doc)
  return doc:walk({
    Div = function(div)
      local key = div.identifier:match("^ref%-(.+)$")
      if key and div.classes:includes("csl-entry") and places[key] then
        div.content:insert(cited_at(places[key]))
        return div
      end
    end,
  })
end
