-- Infill for Neovim 0.12+: put this file on your runtimepath (e.g. ~/.config/nvim/plugin/) or
-- require it from init.lua. `infill` must be on PATH (or change `cmd`).
vim.lsp.config('infill', {
  cmd = { 'infill', 'lsp', '--stdio' },
  filetypes = { 'python', 'rust', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact',
    'go', 'c', 'cpp', 'java', 'cs', 'ruby', 'sh', 'lua' },
  root_markers = { '.git' },
})
vim.lsp.enable('infill')
vim.lsp.inline_completion.enable(true)
vim.keymap.set('i', '<Tab>', function()
  if not vim.lsp.inline_completion.get() then
    return '<Tab>'
  end
end, { expr = true, desc = 'Accept the Infill suggestion' })
