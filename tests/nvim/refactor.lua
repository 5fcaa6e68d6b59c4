-- :InfillRefactor in real Neovim: the plugin asks for the instruction, the server's agent plans
-- and edits two files, and Neovim applies both in one `workspace/applyEdit`; `u` undoes it. The
-- model is a deterministic script behind an OpenAI-compatible server on loopback
-- (tests/nvim/fixture_model.py), reached through Infill's real OpenAI backend, so the edit is
-- known in advance.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h')
local h = dofile(here .. '/harness.lua')
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here .. '/../../editors/neovim', ':p'))
vim.cmd('runtime! plugin/infill.lua')
vim.cmd('filetype on')

local port_file = h.project .. '/fixture.port'
local fixture = vim.system({ 'python3', here .. '/fixture_model.py', port_file })
local port
vim.wait(10000, function()
  local file = io.open(port_file)
  if file then
    port = file:read('*l')
    file:close()
  end
  return port ~= nil and port ~= ''
end, 50)
if not port then
  h.finish(false, 'the fixture model server did not start')
end

-- Count the applyEdit requests the server sends.
local apply_edits = 0
local default_apply = vim.lsp.handlers['workspace/applyEdit']
vim.lsp.handlers['workspace/applyEdit'] = function(err, result, ctx, config)
  apply_edits = apply_edits + 1
  return default_apply(err, result, ctx, config)
end

local infill = require('infill')
infill.setup({
  cmd = { h.bin, 'lsp', '--stdio', '--log-file', h.project .. '/infill.log' },
  filetypes = { 'python' },
  root_markers = { 'src' },
  init_options = {
    engine = { backend = 'openai', endpoints = { 'http://127.0.0.1:' .. port .. '/v1' }, model = 'fixture' },
  },
})

local pricing = h.project .. '/src/pricing.py'
local orders = h.project .. '/src/orders.py'
vim.cmd('edit ' .. pricing)
local bufnr = vim.api.nvim_get_current_buf()
local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
local ready = vim.wait(60000, function()
  local client = infill.clients(bufnr)[1]
  return client ~= nil and client.initialized
end, 100)
if not ready then
  h.finish(false, 'the server did not start')
end
-- Let the workspace index finish (the agent finds orders.py through it).
vim.wait(3000)

-- The instruction comes from the input box, as a user types it.
local asked
vim.ui.input = function(opts, on_confirm)
  asked = opts.prompt
  on_confirm('rename unit_price to price_of')
end
vim.api.nvim_win_set_cursor(0, { 6, 6 })
vim.cmd('InfillRefactor')
if asked ~= 'Infill refactor: ' then
  h.finish(false, 'the plugin did not ask for an instruction: ' .. vim.inspect(asked))
end

h.poll(60000, 'the refactor applied to both files', function()
  local orders_buffer = vim.fn.bufnr(orders)
  if orders_buffer < 0 then
    return false
  end
  local pricing_text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
  local orders_text = table.concat(vim.api.nvim_buf_get_lines(orders_buffer, 0, -1, false), '\n')
  if not pricing_text:find('def price_of(item):', 1, true) then
    return false
  end
  if not orders_text:find('from pricing import price_of, with_tax', 1, true)
      or not orders_text:find('sum(price_of(item)', 1, true) then
    error('orders.py was not edited: ' .. orders_text)
  end
  if apply_edits ~= 1 then
    error('expected one workspace/applyEdit, got ' .. apply_edits)
  end
  if orders_text:find('unit_price', 1, true) or pricing_text:find('unit_price', 1, true) then
    error('unit_price is still referenced')
  end
  -- Undo restores the file as it was.
  vim.api.nvim_buf_call(bufnr, function()
    vim.cmd('silent undo')
  end)
  local undone = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  if not vim.deep_equal(undone, before) then
    error('undo did not restore pricing.py: ' .. vim.inspect(undone))
  end
  fixture:kill(9)
  h.finish(true, 'one applyEdit renamed unit_price in pricing.py and orders.py; undo restored it')
  return true
end)
