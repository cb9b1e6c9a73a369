--[==[
notes.lua: one numbering for every note of the book, the same in print and in the EPUB.

Every pandoc note (editor's notes, and any other kind) is numbered 1, 2, 3 ... in document
order across the whole book, never restarting per chapter. The call is a link `#fn-N` with
the id `fnref-N`; the note begins with its number, a link back to the call.

- Print (html5): the note stays at its call as `<span class="footnote" id="fn-N">`, which
  print.css floats to the foot of the page (WeasyPrint's `float: footnote`). The call is
  ours, not WeasyPrint's `::footnote-call`, so the PDF has a link from each call to its note
  and back, and the check stage can prove that both are on the same page.
- EPUB (epub3): the call is a link of superscript digits (¹²) with role="doc-noteref"; the
  notes of a chapter are collected at its end, each an `aside` (epub:type="footnote", so
  reading systems that pop notes up can) whose number is a link back (role="doc-backlink").

The ids and classes are shared with coursepack/render_pdf.py and coursepack/check/ (NOTE_ID,
NOTE_CALL_ID): change them together.
]==]

local count = 0

-- Superscript digits as characters, not <sup>: every reading system, and calibre's and other
-- text conversions, then show "speech¹", never "speech1".
local SUPERSCRIPT = { ["0"] = "⁰", ["1"] = "¹", ["2"] = "²", ["3"] = "³", ["4"] = "⁴",
  ["5"] = "⁵", ["6"] = "⁶", ["7"] = "⁷", ["8"] = "⁸", ["9"] = "⁹" }

local function superscript(n)
  return (n:gsub("%d", SUPERSCRIPT))
end

local function note_inlines(content)
  return pandoc.utils.blocks_to_inlines(content, { pandoc.LineBreak() })
end

-- Attributes as a list of pairs, never a Lua table with several keys: its order changes
-- from one run to the next, and builds must be byte-identical.
local function back_link(n)
  return pandoc.Link({ pandoc.Str(n .. ".") }, "#fnref-" .. n, "",
    pandoc.Attr("", { "note-back" },
      { { "role", "doc-backlink" }, { "aria-label", "Back to note call " .. n } }))
end

local function call_link(n, content)
  return pandoc.Link(content, "#fn-" .. n, "",
    pandoc.Attr("fnref-" .. n, { "note-call" },
      { { "role", "doc-noteref" }, { "aria-label", "Note " .. n } }))
end

-- Print: the call, then the note body at the same point (no space between: no line break).
local function print_note(note)
  count = count + 1
  local n = tostring(count)
  local body = pandoc.Inlines({ back_link(n), pandoc.Space() })
  body:extend(note_inlines(note.content))
  return pandoc.Inlines({
    call_link(n, { pandoc.Str(n) }),
    pandoc.Span(body, { id = "fn-" .. n, class = "footnote" }),
  })
end

-- EPUB: the call now; the note, as blocks, for the end of the chapter.
local function epub_note(note, pending)
  count = count + 1
  local n = tostring(count)
  local blocks = pandoc.Blocks({})
  blocks:insert(pandoc.RawBlock("html",
    '<aside id="fn-' .. n .. '" class="note" epub:type="footnote" role="doc-footnote">'))
  local content = pandoc.Blocks(note.content)
  local first = content[1]
  if first and (first.t == "Para" or first.t == "Plain") then
    first.content:insert(1, pandoc.Space())
    first.content:insert(1, back_link(n))
  else
    content:insert(1, pandoc.Para({ back_link(n) }))
  end
  blocks:extend(content)
  blocks:insert(pandoc.RawBlock("html", "</aside>"))
  table.insert(pending, blocks)
  return call_link(n, { pandoc.Str(superscript(n)) })
end

local function notes_section(pending)
  local blocks = pandoc.Blocks({
    pandoc.RawBlock("html", '<section class="notes" role="doc-endnotes" aria-label="Notes">'),
    pandoc.Para({ pandoc.Span({ pandoc.Str("Notes") }, { class = "notes-title" }) }),
  })
  for _, note in ipairs(pending) do
    blocks:extend(note)
  end
  blocks:insert(pandoc.RawBlock("html", "</section>"))
  return blocks
end

function Pandoc(doc)
  if FORMAT:match("epub") then
    local out, pending = pandoc.Blocks({}), {}
    local function flush()
      if #pending > 0 then
        out:extend(notes_section(pending))
        pending = {}
      end
    end
    for _, block in ipairs(doc.blocks) do
      if block.t == "Header" and block.level == 1 then
        flush() -- a chapter ends where the next one begins
      end
      out:insert(block:walk({ Note = function(note) return epub_note(note, pending) end }))
    end
    flush()
    doc.blocks = out
  else
    doc.blocks = doc.blocks:walk({ Note = print_note })
  end
  return doc
end
