--[==[
typography.lua: words and dates that must not be broken badly, in print and in the EPUB.

- A day and its month are joined by a no-break space ("13 December" never splits at a line
  end).
- Names are never hyphenated: each word of `never-hyphenate` (the authors', the editors', and
  the reader file's `hyphenation: never:` list, from assemble.py) is set in
  `<span class="nohyphen">`, which the stylesheets exempt from hyphenation. A possessive or
  punctuation after the name stays with it.
- In print, a word of `hyphenation-exceptions` ("nu-clear") is hyphenated only where its
  hyphens say: it becomes the word with soft hyphens, in a span without automatic
  hyphenation (the dictionary's breaks for it, such as "nuc-lear", are never used).
]==]

local MONTHS = {}
for _, m in ipairs({ "January", "February", "March", "April", "May", "June", "July",
                     "August", "September", "October", "November", "December" }) do
  MONTHS[m] = true
end
local never, exceptions = {}, {}

-- Letters are told by code point, never by the C library's locale (%a): two builds under
-- different locales must give the same book.
local NOT_LETTER = { [0x2018] = true, [0x2019] = true, [0x201C] = true, [0x201D] = true,
  [0x2013] = true, [0x2014] = true, [0x00A0] = true, [0x00AD] = true, [0x2026] = true,
  [0x00B6] = true, [0x00A7] = true, [0x00B7] = true }

local function is_letter(cp)
  return (cp >= 65 and cp <= 90) or (cp >= 97 and cp <= 122)
      or (cp >= 0xC0 and not NOT_LETTER[cp])
end

local function core(text)
  -- "Putin’s," -> "", "Putin", "’s,"  ;  "(Freedman" -> "(", "Freedman", ""
  local first, last
  for pos, cp in utf8.codes(text) do
    if is_letter(cp) then
      first = first or pos
      last = pos + #utf8.char(cp) - 1
    elseif first then
      break
    end
  end
  if not first then
    return nil
  end
  return text:sub(1, first - 1), text:sub(first, last), text:sub(last + 1)
end

local function inlines_filter(inlines)
  local out, changed, i = pandoc.Inlines({}), false, 1
  while i <= #inlines do
    local el = inlines[i]
    local nxt, after = inlines[i + 1], inlines[i + 2]
    if el.t == "Str" and el.text:match("^[0-9][0-9]?$") and nxt and nxt.t == "Space"
        and after and after.t == "Str" and MONTHS[(after.text:match("^([A-Za-z]+)") or "")] then
      out:insert(pandoc.Str(el.text .. "\u{00A0}" .. after.text))
      i, changed = i + 3, true
    elseif el.t == "Str" then
      local lead, word, tail = core(el.text)
      if word and (never[word] or exceptions[word:lower()]) then
        if lead ~= "" then out:insert(pandoc.Str(lead)) end
        local shown = never[word] and word or exceptions[word:lower()](word)
        out:insert(pandoc.Span({ pandoc.Str(shown .. tail) }, { class = "nohyphen" }))
        i, changed = i + 1, true
      else
        out:insert(el)
        i = i + 1
      end
    else
      out:insert(el)
      i = i + 1
    end
  end
  return changed and out or nil
end

function Pandoc(doc)
  for _, word in ipairs(doc.meta["never-hyphenate"] or {}) do
    never[pandoc.utils.stringify(word)] = true
  end
  if not FORMAT:match("epub") then
    for _, item in ipairs(doc.meta["hyphenation-exceptions"] or {}) do
      local spelled = pandoc.utils.stringify(item)
      local plain = spelled:gsub("%-", "")
      exceptions[plain:lower()] = function(word)
        -- keep the word's own capitals; soft hyphens where the exception has hyphens
        local out, k = "", 1
        for part in spelled:gmatch("[^%-]+") do
          if out ~= "" then out = out .. "\u{00AD}" end
          out = out .. word:sub(k, k + #part - 1)
          k = k + #part
        end
        return out
      end
    end
  end
  doc.blocks = doc.blocks:walk({ Inlines = inlines_filter }) -- not the metadata: it is text
  return doc
end
