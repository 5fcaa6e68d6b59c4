-- The Neovim plugin in editors/neovim, as a user installs it: setup() starts infill for Python,
-- the plugin's keys fall through to what they did before while nothing is shown, accept-word and
-- accept take the ghost text, :InfillRefactor asks for its instruction, a resting cursor is sent
-- as infill/didFocus, and :InfillStatus and :checkhealth infill report.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h')
local h = dofile(here .. '/harness.lua')
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here .. '/../../editors/neovim', ':p'))
vim.cmd('runtime! plugin/infill.lua')
vim.cmd('filetype on')

local messages = {}
local notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(messages, message)
  return notify(message, level, opts)
end
local function said(pattern)
  for _, message in ipairs(messages) do
    if message:find(pattern) then
      return message
    end
  end
end

-- The user's own insert-mode mapping, which the plugin's accept-line key must fall through to.
vim.keymap.set('i', '<C-l>', 'USER')

local infill = require('infill')
infill.setup({
  cmd = { h.bin, 'lsp', '--stdio', '--log-file', h.project .. '/infill.log' },
  filetypes = { 'python' },
  root_markers = { 'src' },
  keymaps = { accept = '<Tab>', accept_word = '<M-Right>', accept_line = '<C-l>' },
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
if not ready then
  h.finish(false, 'setup() did not start a ready infill server for the Python buffer')
end
if infill.delivery(client) ~= 'inline' then
  h.finish(false, 'expected ghost text, the delivery is ' .. tostring(infill.delivery(client)))
end
if client.root_dir ~= vim.fs.normalize(h.project) and client.root_dir ~= vim.uv.fs_realpath(h.project) then
  h.finish(false, 'unexpected root ' .. tostring(client.root_dir))
end

-- Types `k` as the user would (mappings apply); `now` runs it at once, ending in Normal mode.
local keys = function(k, now)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(k, true, false, true), now and 'mx' or 'm', false)
end
local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)

-- 1. With suggestions off nothing is shown: <Tab> inserts a tab, <C-l> runs the user's mapping.
vim.cmd('InfillToggle')
if infill.enabled then
  h.finish(false, ':InfillToggle did not turn suggestions off')
end
vim.api.nvim_win_set_cursor(0, { 9, 11 })
keys('a<Tab><C-l><Esc>', true)
local line = vim.api.nvim_buf_get_lines(bufnr, 8, 9, false)[1]
if line ~= before[9] .. '\tUSER' then
  h.finish(false, 'the keys did not fall through: line 9 is ' .. vim.inspect(line))
end
vim.api.nvim_buf_set_lines(bufnr, 8, 9, false, { before[9] })

-- 2. :InfillRefactor without an instruction asks for one; cancelling the input box does nothing.
local asked
local input = vim.ui.input
vim.ui.input = function(opts, on_confirm)
  asked = opts.prompt
  on_confirm(nil)
end
vim.cmd('InfillRefactor')
vim.ui.input = input
if asked ~= 'Infill refactor: ' then
  h.finish(false, ':InfillRefactor did not ask for an instruction: ' .. vim.inspect(asked))
end
if not vim.deep_equal(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), before) then
  h.finish(false, 'a cancelled :InfillRefactor changed the buffer')
end

-- 3. Suggestions on: ghost text appears; accept its first word, then the rest.
vim.cmd('InfillToggle')

-- Where the cursor rests goes to the server (infill/didFocus), which prefetches the prompt there.
local focused
local client_notify = client.notify
client.notify = function(self, method, params)
  if method == 'infill/didFocus' then
    focused = params
  end
  return client_notify(self, method, params)
end
vim.api.nvim_win_set_cursor(0, { 9, 4 })
vim.cmd('doautocmd CursorHold')
client.notify = client_notify
if not focused or focused.position.line ~= 8 or focused.position.character ~= 4
    or focused.textDocument.uri ~= vim.uri_from_bufnr(bufnr) then
  h.finish(false, 'a resting cursor did not send infill/didFocus: ' .. vim.inspect(focused))
end
local function expect_lines(expected_text)
  local expected = vim.split(before[9] .. expected_text, '\n', { plain = true })
  local after = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for i, expected_line in ipairs(expected) do
    if after[8 + i] ~= expected_line then
      return false
    end
  end
  for i = 1, 8 do
    assert(after[i] == before[i], 'line ' .. i .. ' changed')
  end
  return true
end

local function check_status_and_health(summary)
  vim.cmd('stopinsert')
  vim.cmd('InfillStatus')
  h.poll(10000, ':InfillStatus output', function()
    local status = said('engine: ready')
    if not status then
      return false
    end
    if not status:find('as ghost text', 1, true) then
      error('unexpected :InfillStatus output ' .. status)
    end
    vim.cmd('checkhealth infill')
    local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
    if not report:find('OK binary found: ' .. vim.pesc(h.bin)) then
      error(':checkhealth infill did not report the binary OK:\n' .. report)
    end
    if not report:find('OK `infill --version`: infill ', 1, true) then
      error(':checkhealth infill did not run --version:\n' .. report)
    end
    if not report:find('OK model: ', 1, true) then
      error(':checkhealth infill did not find the model:\n' .. report)
    end
    if report:find('ERROR', 1, true) then
      error(':checkhealth infill reported an error:\n' .. report)
    end
    h.finish(true, summary)
    return true
  end)
end

vim.api.nvim_win_set_cursor(0, { 9, 11 })
vim.cmd('startinsert!')
h.poll(120000, 'ghost text', function()
  local ghost = h.ghost_text(bufnr)
  if not ghost then
    return false
  end
  local word = require('infill.keymaps').chunk(ghost, 'word')
  keys('<M-Right>')
  h.poll(10000, 'the first word ' .. vim.inspect(word) .. ' in the buffer', function()
    if not expect_lines(word) then
      return false
    end
    if word == ghost then
      check_status_and_health('accepted the one-word ghost text ' .. vim.inspect(ghost))
      return true
    end
    -- The rest is shown again (typed-through); <Tab> takes it.
    h.poll(60000, 'the rest of the ghost text', function()
      local rest = h.ghost_text(bufnr)
      if not rest then
        return false
      end
      keys('<Tab>')
      h.poll(10000, 'the whole suggestion in the buffer', function()
        if not expect_lines(word .. rest) then
          return false
        end
        check_status_and_health(('accepted %s, then %s'):format(vim.inspect(word), vim.inspect(rest)))
        return true
      end)
      return true
    end)
    return true
  end)
  return true
end)
