-- The default configuration of the `infill` server for `vim.lsp.enable('infill')` (Neovim 0.11+).
-- `require('infill').setup()` sets the same and more (keymaps, ghost text, commands).
return {
  cmd = require('infill').cmd(),
  filetypes = require('infill').defaults.filetypes,
  root_markers = { '.git' },
}
