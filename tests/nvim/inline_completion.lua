-- The user types in insert mode, grey ghost text appears through vim.lsp.inline_completion,
-- Tab accepts it, and the buffer holds exactly what the suggestion said.
local h = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h') .. '/harness.lua')

local bufnr = h.open('src/orders.py')
vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
vim.keymap.set('i', '<Tab>', function()
  if not vim.lsp.inline_completion.get() then
    return '<Tab>'
  end
end, { expr = true })

local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
-- Line 9 is "    return "; append after it, as a user who just typed it.
vim.api.nvim_win_set_cursor(0, { 9, 11 })
vim.cmd('startinsert!')

local ghost
h.poll(120000, 'ghost text', function()
  ghost = h.ghost_text(bufnr)
  if not ghost then
    return false
  end
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Tab>', true, false, true), 'm', false)
  h.poll(10000, 'the accepted suggestion in the buffer', function()
    local after = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    local expected = vim.split(before[9] .. ghost, '\n', { plain = true })
    for i, line in ipairs(expected) do
      if after[8 + i] ~= line then
        return false
      end
    end
    for i = 1, 8 do
      assert(after[i] == before[i], 'line ' .. i .. ' changed')
    end
    h.finish(true, 'accepted ghost text ' .. vim.inspect(ghost))
    return true
  end)
  return true
end)
