-- A code action picked from the list in real Neovim, with the real server and the real default
-- model: "Infill: Add documentation" is listed for the function under the cursor, resolved by
-- the server (the model writes the text, the server renders it as a docstring) and its edit
-- lands in the buffer, which Python still parses.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h')
local h = dofile(here .. '/harness.lua')
vim.cmd('filetype on')

local bufnr, client = h.open('src/pricing.py')
local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
-- Inside `with_tax`'s body.
vim.api.nvim_win_set_cursor(0, { 13, 4 })
local titles = {}
vim.lsp.buf.code_action({
  filter = function(action)
    table.insert(titles, action.title)
    return action.title == 'Infill: Add documentation'
  end,
  apply = true,
})

local checking = false
h.poll(180000, 'the documentation edit in the buffer', function()
  -- Waiting for python3 below runs the event loop, which runs this poll again: check once.
  if checking then
    return false
  end
  local after = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  if #after <= #before then
    return false
  end
  -- The docstring goes right after `def with_tax(amount):`, above the existing one.
  local def_line
  for i, line in ipairs(after) do
    if line == 'def with_tax(amount):' then
      def_line = i
    end
  end
  if not def_line or not after[def_line + 1]:match('^    """') then
    error('no docstring after def with_tax: ' .. vim.inspect(after))
  end
  if after[#after] ~= before[#before] then
    error('the function body changed: ' .. vim.inspect(after))
  end
  -- Python itself parses the documented file.
  checking = true
  local parsed = vim.system({ 'python3', '-c', 'import ast, sys; ast.parse(sys.stdin.read())' },
    { stdin = table.concat(after, '\n') .. '\n' }):wait()
  if parsed.code ~= 0 then
    error('the documented file does not parse: ' .. parsed.stderr .. '\n' .. table.concat(after, '\n'))
  end
  for _, title in ipairs({ 'Infill: Explain', 'Infill: Generate unit tests', 'Infill: Refactor with instruction…' }) do
    if not vim.tbl_contains(titles, title) then
      error('the menu lacks ' .. title .. ': ' .. vim.inspect(titles))
    end
  end
  h.finish(true, ('added %d documentation line(s) to with_tax'):format(#after - #before))
  return true
end)
