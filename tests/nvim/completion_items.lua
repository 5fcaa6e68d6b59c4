-- A client without inline completion (like Helix or older LSP4IJ) gets the suggestion as a
-- completion item; accepting it from the popup menu writes it into the buffer.
local h = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h') .. '/harness.lua')

local capabilities = vim.lsp.protocol.make_client_capabilities()
-- nil would be filled back in from the defaults; vim.NIL is sent as null.
capabilities.textDocument.inlineCompletion = vim.NIL
local bufnr, client = h.open('src/orders.py', capabilities)
if client.server_capabilities.inlineCompletionProvider then
  h.finish(false, 'the server offered inline completion to a client without it')
end
if not client.server_capabilities.completionProvider then
  h.finish(false, 'the server offered no completion items')
end
vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = false })
vim.o.completeopt = 'menu,menuone,noinsert'

local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
vim.api.nvim_win_set_cursor(0, { 9, 11 })
vim.cmd('startinsert!')
vim.schedule(function()
  vim.lsp.completion.get()
end)

local item
local last_seen
h.poll(120000, 'the completion menu', function()
  local info = vim.fn.complete_info({ 'items', 'pum_visible' })
  if info.pum_visible ~= 1 or #info.items == 0 then
    return false
  end
  item = info.items[1]
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<C-y>', true, false, true), 'm', false)
  h.poll(10000, 'the accepted item in the buffer (last seen: the line as typed)', function()
    local line = vim.api.nvim_buf_get_lines(bufnr, 8, 9, false)[1]
    if line == before[9] then
      return false
    end
    local lsp_item = item.user_data and item.user_data.nvim and item.user_data.nvim.lsp
      and item.user_data.nvim.lsp.completion_item
    local new_text = lsp_item and lsp_item.textEdit and lsp_item.textEdit.newText or item.word
    local first = vim.split(new_text, '\n', { plain = true })[1]
    if line ~= before[9] .. first then
      -- Neovim inserts the item's first word at once and applies the whole text edit when the
      -- completion is done: wait for that (a wrong final text times out with this message).
      last_seen = line
      return false
    end
    h.finish(true, 'accepted completion item ' .. vim.inspect(new_text))
    return true
  end)
  return true
end)
