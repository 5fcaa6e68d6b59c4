-- Security findings in real Neovim: a vulnerable line gets Infill's diagnostic (source `infill`,
-- the rule id as code), the parameterized version clears it.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h')
local h = dofile(here .. '/harness.lua')
vim.cmd('filetype on')

local file = io.open(h.project .. '/src/db.py', 'w')
file:write('def find(cursor, name):\n')
file:write('    cursor.execute("SELECT * FROM users WHERE name = \'" + name + "\'")\n')
file:close()

local bufnr = h.open('src/db.py')
h.poll(30000, 'an infill diagnostic on line 2', function()
  local found
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    if diagnostic.source == 'infill' then
      found = diagnostic
    end
  end
  if not found then
    return false
  end
  if found.lnum ~= 1 or found.code ~= 'sql-injection' then
    error('unexpected diagnostic ' .. vim.inspect(found))
  end
  -- The parameterized query clears it.
  vim.api.nvim_buf_set_lines(bufnr, 1, 2, false,
    { '    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))' })
  h.poll(30000, 'the diagnostic cleared', function()
    for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
      if diagnostic.source == 'infill' then
        return false
      end
    end
    h.finish(true, 'sql-injection shown on line 2 (' .. found.message:sub(1, 40) .. '…), cleared when fixed')
    return true
  end)
  return true
end)
