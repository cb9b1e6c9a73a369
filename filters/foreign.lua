--[==[
foreign.lua: words in another language carry their language tag (WCAG 3.1.2, "Language of
Parts"), so that a screen reader pronounces them right and print hyphenates them by their own
rules, or not at all.

The phrases come from the readings' YAML (`foreign: [{phrase, lang}]`), which assemble.py
writes into the document's metadata as `foreign-phrases`. Every occurrence, wherever it is (an
essay, a note, the glossary, the bibliography citeproc wrote), becomes
`<span lang="xx">phrase</span>`; punctuation around it stays outside. Runs after citeproc.
]==]

local phrases = {}

-- Whether a text begins (or ends) with a letter or digit, by code point, never by the C
-- library's locale (%w): two builds under different locales must give the same book.
local function letter(cp)
  return cp and ((cp >= 48 and cp <= 57) or (cp >= 65 and cp <= 90) or (cp >= 97 and cp <= 122)
    or (cp >= 0xC0 and cp < 0x2000))
end

local function starts_alnum(text)
  return text ~= "" and letter(utf8.codepoint(text, 1)) or false
end

local function ends_alnum(text)
  if text == "" then return false end
  local last
  for _, cp in utf8.codes(text) do last = cp end
  return letter(last) or false
end

local function words(text)
  local found = {}
  for word in text:gmatch("%S+") do
    found[#found + 1] = word
  end
  return found
end

-- Does the Str at inlines[i] .. close the phrase? Returns the index of its last Str, and the
-- text before its first word and after its last word (punctuation), or nil.
local function match_at(inlines, i, phrase)
  local first = inlines[i]
  if first.t ~= "Str" then
    return nil
  end
  local ws = phrase.words
  local head = first.text
  local lead = ""
  if #ws == 1 then
    local s, e = head:find(ws[1], 1, true)
    if not s or ends_alnum(head:sub(1, s - 1)) or starts_alnum(head:sub(e + 1)) then
      return nil
    end
    return i, head:sub(1, s - 1), head:sub(e + 1)
  end
  if head:sub(-#ws[1]) ~= ws[1] then
    return nil
  end
  lead = head:sub(1, #head - #ws[1])
  if ends_alnum(lead) then
    return nil
  end
  local j = i
  for k = 2, #ws do
    local space, word = inlines[j + 1], inlines[j + 2]
    if not (space and word and (space.t == "Space" or space.t == "SoftBreak")
            and word.t == "Str") then
      return nil
    end
    j = j + 2
    if k < #ws then
      if word.text ~= ws[k] then
        return nil
      end
    else
      if word.text:sub(1, #ws[k]) ~= ws[k] or starts_alnum(word.text:sub(#ws[k] + 1)) then
        return nil
      end
      return j, lead, word.text:sub(#ws[k] + 1)
    end
  end
end

local function mark(inlines)
  if #phrases == 0 then
    return nil
  end
  local out, i, changed = pandoc.Inlines({}), 1, false
  while i <= #inlines do
    local done = false
    for _, phrase in ipairs(phrases) do
      local last, lead, tail = match_at(inlines, i, phrase)
      if last then
        if lead ~= "" then out:insert(pandoc.Str(lead)) end
        out:insert(pandoc.Span(pandoc.Inlines(phrase.text), { lang = phrase.lang }))
        if tail ~= "" then out:insert(pandoc.Str(tail)) end
        i, done, changed = last + 1, true, true
        break
      end
    end
    if not done then
      out:insert(inlines[i])
      i = i + 1
    end
  end
  return changed and out or nil
end

function Pandoc(doc)
  for _, item in ipairs(doc.meta["foreign-phrases"] or {}) do
    local text = pandoc.utils.stringify(item.phrase)
    phrases[#phrases + 1] = { text = text, words = words(text),
                              lang = pandoc.utils.stringify(item.lang) }
  end
  table.sort(phrases, function(a, b) return #a.words > #b.words end) -- the longest first
  doc.blocks = doc.blocks:walk({ Inlines = mark }) -- not the metadata: it is text
  return doc
end
