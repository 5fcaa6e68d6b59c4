-- Alternatives in Neovim 0.12 through the plugin: ghost text appears from an automatic request;
-- <M-]> asks the server again with an explicit request (triggerKind 1, which Neovim's built-in
-- client never sends by itself), the server answers with its candidates, and a second <M-]>
-- cycles through them (the built-in shows "(k/n)" after the ghost text).
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h')
local h = dofile(here .. '/harness.lua')
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here .. '/../../editors/neovim', ':p'))
vim.cmd('runtime! plugin/infill.lua')
vim.cmd('filetype on')

local infill = require('infill')
infill.setup({
  cmd = { h.bin, 'lsp', '--stdio', '--log-file', h.project .. '/infill.log' },
  filetypes = { 'python' },
  root_markers = { 'src' },
})

vim.cmd('edit ' .. h.project .. '/src/orders.py')
local bufnr = vim.api.nvim_get_current_buf()
local client
local ready = vim.wait(60000, function()
  client = infill.clients(bufnr)[1]
  if not client or not client.initialized then
    return false
  end
  local response = client:request_sync('infill/status', {}, 5000, bufnr)
  return response and response.result and response.result.engine == 'ready'
end, 200)
if not ready or infill.delivery(client) ~= 'inline' then
  h.finish(false, 'setup() did not start a ready infill server with ghost text')
end

-- Every inline completion request as it leaves (after the plugin's wrapper), and how many items
-- its answer held.
local sent = {}
local plugin_request = client.request
client.request = function(self, method, params, handler, req_bufnr)
  if method ~= 'textDocument/inlineCompletion' then
    return plugin_request(self, method, params, handler, req_bufnr)
  end
  local record = {}
  table.insert(sent, record)
  local wrapped = function(err, result, ctx, config)
    record.answered = true
    record.items = result and #(result.items or result) or 0
    return handler(err, result, ctx, config)
  end
  local ok, id = plugin_request(self, method, params, wrapped, req_bufnr)
  record.trigger = params.context.triggerKind
  return ok, id
end

local keys = function(k)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(k, true, false, true), 'm', false)
end

vim.api.nvim_win_set_cursor(0, { 9, 11 })
vim.cmd('startinsert!')
h.poll(120000, 'ghost text from an automatic request', function()
  if not h.ghost_text(bufnr) then
    return false
  end
  for _, record in ipairs(sent) do
    if record.trigger ~= 2 then
      error('a request while typing went out with triggerKind ' .. tostring(record.trigger))
    end
  end
  local automatic = #sent
  keys('<M-]>')
  h.poll(120000, 'the answer to an explicit request', function()
    local explicit
    for i = automatic + 1, #sent do
      if sent[i].trigger == 1 and sent[i].answered then
        explicit = sent[i]
      end
    end
    if not explicit or not h.ghost_text(bufnr) then
      return false
    end
    if explicit.items < 1 then
      error('the explicit request got no suggestion')
    end
    keys('<M-]>')
    h.poll(10000, 'the "(k/n)" hint of cycling', function()
      local ghost = h.ghost_text(bufnr)
      local k, n = (ghost or ''):match('%((%d+)/(%d+)%)$')
      if not k then
        return false
      end
      if tonumber(n) ~= explicit.items then
        error(('the hint says %s items, the server sent %d'):format(n, explicit.items))
      end
      local expected = explicit.items > 1 and 2 or 1
      if tonumber(k) ~= expected then
        error(('the second <M-]> selected item %s of %s'):format(k, n))
      end
      h.finish(true, ('an explicit request got %d suggestion(s); <M-]> cycled to %s/%s'):format(explicit.items, k, n))
      return true
    end)
    return true
  end)
  return true
end)
