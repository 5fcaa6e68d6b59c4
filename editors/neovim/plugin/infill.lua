-- Infill's user commands. They work once `require('infill').setup()` has started the server.
if vim.g.loaded_infill then
  return
end
vim.g.loaded_infill = true

vim.api.nvim_create_user_command('InfillStatus', function()
  require('infill').show_status()
end, { desc = "Show the Infill server's status" })

vim.api.nvim_create_user_command('InfillToggle', function()
  require('infill').toggle()
end, { desc = 'Turn Infill suggestions on or off' })

vim.api.nvim_create_user_command('InfillRefactor', function(opts)
  require('infill').refactor(opts)
end, { range = true, nargs = '*', desc = 'Refactor the selected lines with Infill' })

vim.api.nvim_create_user_command('InfillExplain', function(opts)
  require('infill').explain(opts)
end, { range = true, desc = 'Explain the selected lines with Infill' })
