--[[
progeval.lua: what Quarto does natively, done for progeval's builtin pandoc engine.

1. Numbers the labelled figures (#fig-...) and tables (#tbl-...) in document order,
   figures and tables separately, and starts their captions with "Figure 1: " and
   "Table 1: " as Quarto does.
2. Replaces the cross-references @fig-... and @tbl-... (pandoc reads them as citations)
   by links reading "Figure 1" and "Table 1". A reference to a label that no figure or
   table carries stops the render with an error naming it.
3. Turns Quarto callouts (::: {.callout-note}, -tip, -important, -warning, -caution;
   title from a first heading inside or a title="..." attribute, else the kind's name)
   into boxed blocks: a div.callout for HTML, custom paragraph styles "Callout Note" and
   "Callout Note Title" for DOCX, a #callout(...) call of the template for typst.
4. Makes an image's fig-alt attribute its alt text, and for typst makes image paths
   absolute from the compilation root (the resource folder).
]]

local NBSP = "\u{00A0}"
local CALLOUT_TITLES = {
  note = "Note", tip = "Tip", important = "Important", warning = "Warning", caution = "Caution",
}
local REF_NAMES = { fig = "Figure", tbl = "Table" }

local function ref_kind(identifier)
  return identifier:match("^(fig)%-") or identifier:match("^(tbl)%-")
end

local function is_typst()
  return FORMAT:match("typst") ~= nil
end

local function is_html()
  return FORMAT:match("html") ~= nil
end

local function is_docx()
  return FORMAT:match("docx") ~= nil
end

-- 1. numbering -----------------------------------------------------------------

local function prefix_caption(caption, label)
  local prefix = pandoc.Inlines({ pandoc.Str(label) })
  local long = caption.long
  if #long == 0 then
    caption.long = pandoc.Blocks({ pandoc.Plain(prefix) })
    return caption
  end
  local first = long[1]
  if first.t == "Plain" or first.t == "Para" then
    local content = pandoc.Inlines({ pandoc.Str(label .. ":"), pandoc.Space() })
    content:extend(first.content)
    first.content = content
  else
    long:insert(1, pandoc.Plain(prefix))
  end
  caption.long = long
  return caption
end

local function number_labels(doc)
  local labels = {}
  local counts = { fig = 0, tbl = 0 }
  local function number(element)
    local kind = ref_kind(element.identifier or "")
    if not kind then
      return nil
    end
    if labels[element.identifier] then
      error("the label #" .. element.identifier .. " is used twice; give each figure and table its own label", 0)
    end
    counts[kind] = counts[kind] + 1
    local text = REF_NAMES[kind] .. NBSP .. tostring(counts[kind])
    labels[element.identifier] = text
    element.caption = prefix_caption(element.caption, text)
    return element
  end
  doc = doc:walk({ traverse = "topdown", Figure = number, Table = number })
  return doc, labels
end

-- 2. cross-references ----------------------------------------------------------

local function known_labels(labels)
  local names = {}
  for name, _ in pairs(labels) do
    names[#names + 1] = "@" .. name
  end
  table.sort(names)
  if #names == 0 then
    return "none"
  end
  return table.concat(names, ", ")
end

local function resolve_refs(doc, labels)
  return doc:walk({
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        if not ref_kind(citation.id) then
          return nil
        end
      end
      local out = pandoc.Inlines({})
      for i, citation in ipairs(cite.citations) do
        local text = labels[citation.id]
        if not text then
          error("the cross-reference @" .. citation.id .. " points to no figure or table labelled {#"
            .. citation.id .. "}; labels in this document: " .. known_labels(labels), 0)
        end
        if i > 1 then
          out:extend({ pandoc.Str(","), pandoc.Space() })
        end
        out:insert(pandoc.Link(pandoc.Inlines({ pandoc.Str(text) }), "#" .. citation.id))
      end
      return out
    end,
  })
end

-- 3. callouts ------------------------------------------------------------------

local function callout_kind(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match("^callout%-(%a+)$")
    if kind and CALLOUT_TITLES[kind] then
      return kind
    end
  end
  return nil
end

local function split_title(div, kind)
  local content = pandoc.Blocks({})
  content:extend(div.content)
  local title = nil
  if div.attributes.title then
    title = pandoc.Inlines(div.attributes.title)
  elseif #content > 0 and content[1].t == "Header" then
    title = content[1].content
    content:remove(1)
  end
  return title or pandoc.Inlines({ pandoc.Str(CALLOUT_TITLES[kind]) }), content
end

local function typst_inlines(inlines)
  local text = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "typst")
  return (text:gsub("%s+$", ""))
end

local function callout(div)
  local kind = callout_kind(div)
  if not kind then
    return nil
  end
  local title, content = split_title(div, kind)
  if is_html() then
    local box = pandoc.Blocks({
      pandoc.Div(pandoc.Plain(title), pandoc.Attr("", { "callout-title" })),
      pandoc.Div(content, pandoc.Attr("", { "callout-body" })),
    })
    return pandoc.Div(box, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }, { role = "note" }))
  end
  if is_docx() then
    local style = "Callout " .. CALLOUT_TITLES[kind]
    local box = pandoc.Blocks({
      pandoc.Div(pandoc.Para({ pandoc.Strong(title) }), pandoc.Attr("", {}, { ["custom-style"] = style .. " Title" })),
    })
    box:extend(content)
    return pandoc.Div(box, pandoc.Attr(div.identifier, {}, { ["custom-style"] = style }))
  end
  if is_typst() then
    local out = pandoc.Blocks({
      pandoc.RawBlock("typst", '#callout(kind: "' .. kind .. '", title: [' .. typst_inlines(title) .. "])["),
    })
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  local out = pandoc.Blocks({ pandoc.Para({ pandoc.Strong(title) }) })
  out:extend(content)
  return pandoc.Div(out, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }))
end

-- 4. images --------------------------------------------------------------------

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

-- typst's image() with the alt text (pandoc's typst writer drops it), the path made
-- absolute from the compilation root, and a width given in a unit typst knows.
local function typst_image(img, alt)
  local src = img.src
  if not src:match("^/") and not src:match("^%a[%w+.-]*:") then
    src = "/" .. src
  end
  local args = { typst_string(src) }
  local width = img.attributes.width
  if width and (width:match("^%d+%.?%d*%%$") or width:match("^%d+%.?%d*[pcmi][tmn]$")) then
    args[#args + 1] = "width: " .. width
  end
  if alt and alt ~= "" then
    args[#args + 1] = "alt: " .. typst_string(alt)
  end
  return pandoc.RawInline("typst", "#image(" .. table.concat(args, ", ") .. ")")
end

local function image(img)
  local alt = img.attributes["fig-alt"]
  if alt then
    img.attributes["fig-alt"] = nil
    img.caption = pandoc.Inlines(alt)
  else
    alt = pandoc.utils.stringify(img.caption)
  end
  if is_typst() then
    return typst_image(img, alt)
  end
  return img
end

function Pandoc(doc)
  local labels
  doc, labels = number_labels(doc)
  doc = resolve_refs(doc, labels)
  doc = doc:walk({ Image = image })
  doc = doc:walk({ Div = callout })
  return doc
end
