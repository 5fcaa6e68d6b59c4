--- `:checkhealth infill`: the Neovim version, the binary, `infill --version`, the model from
--- `infill doctor`, and for each running server its engine state and indexing progress.
local M = {}

local function trim(text)
  return (text or ''):gsub('^%s+', ''):gsub('%s+$', '')
end

--- The `--config FILE` part of the server's command, so `infill doctor` reads the same file.
local function config_args(cmd)
  for i, arg in ipairs(cmd) do
    if arg == '--config' and cmd[i + 1] then
      return { '--config', cmd[i + 1] }
    end
    local file = arg:match('^%-%-config=(.+)$')
    if file then
      return { '--config', file }
    end
  end
  return {}
end

local function check_neovim(health)
  health.start('infill: Neovim')
  local version = vim.version()
  local text = ('%d.%d.%d'):format(version.major, version.minor, version.patch)
  if vim.fn.has('nvim-0.12') == 1 then
    health.ok('Neovim ' .. text .. ': ghost text with vim.lsp.inline_completion')
  elseif vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. text .. ': completion items (ghost text needs Neovim 0.12)')
  else
    health.error('Neovim ' .. text .. ' is too old', { 'Infill needs Neovim 0.11 or newer' })
  end
  if not require('infill').is_setup() then
    health.warn("require('infill').setup() has not run in this session", {
      "Call require('infill').setup() from your init.lua (see docs/editors.md)",
    })
  end
end

--- Checks the binary; returns its full path when it runs.
local function check_binary(health, cmd)
  health.start('infill: binary')
  local binary = cmd[1]
  local path = vim.fn.exepath(binary)
  if path == '' then
    health.error('binary not found: ' .. binary, {
      'Build it with scripts/setup (it lands in ~/.cache/infill-target/release/infill)',
      "or put `infill` on PATH, or pass setup({ binary = '/path/to/infill' })",
    })
    return nil
  end
  health.ok('binary found: ' .. path)
  local ok, result = pcall(function()
    return vim.system({ path, '--version' }, { text = true }):wait(10000)
  end)
  if ok and result.code == 0 then
    health.ok('`infill --version`: ' .. trim(result.stdout))
  else
    health.error('`infill --version` failed: ' .. trim(ok and (result.stderr or '') or tostring(result)))
    return nil
  end
  return path
end

local function check_model(health, path, cmd)
  health.start('infill: model (`infill doctor`)')
  local command = vim.list_extend({ path }, config_args(cmd))
  table.insert(command, 'doctor')
  local ok, result = pcall(function()
    return vim.system(command, { text = true }):wait(60000)
  end)
  if not ok or result.code ~= 0 then
    health.error('`infill doctor` failed: ' .. trim(ok and ((result.stderr or '') .. (result.stdout or '')) or tostring(result)))
    return
  end
  local model, plan
  for line in vim.gsplit(result.stdout or '', '\n', { plain = true }) do
    model = model or line:match('^model: (.*)$')
    plan = plan or line:match('^plan: (.*)$')
    local engine = line:match('^engine: (.*)$')
    if engine then
      health.info('engine: ' .. engine)
    end
  end
  if not model then
    health.warn('`infill doctor` names no model', { 'Run `infill model fetch`, or set model.path in ~/.config/infill/config.toml' })
  elseif vim.uv.fs_stat(model) or model:find('Hugging Face', 1, true) then
    health.ok('model: ' .. model)
  else
    health.error('model: ' .. model, {
      'Run `infill model fetch` (the default model), or set model.path in ~/.config/infill/config.toml',
    })
  end
  if plan then
    if plan:find('does not fit', 1, true) then
      health.warn('memory plan: ' .. plan)
    else
      health.info('memory plan: ' .. plan)
    end
  end
end

local function check_servers(health)
  health.start('infill: running servers')
  local infill = require('infill')
  local clients = infill.clients()
  if #clients == 0 then
    health.info('no Infill server is running in this Neovim (open a file of a configured filetype)')
    return
  end
  for _, client in ipairs(clients) do
    local label = ('client %d (root %s)'):format(client.id, client.root_dir or 'none')
    local response = client:request_sync('infill/status', {}, 5000)
    if not response or response.err then
      health.error(label .. ': infill/status failed: ' .. vim.inspect(response and response.err or 'timeout'))
    else
      local status = response.result
      local engine = tostring(status.engine)
      if engine == 'ready' then
        health.ok(label .. ': Infill ' .. tostring(status.version) .. ', engine ready')
      elseif engine == 'loading' then
        health.info(label .. ': the model is still loading')
      else
        health.error(label .. ': engine ' .. engine, { 'See the troubleshooting section of docs/editors.md' })
      end
      local delivery = infill.delivery(client)
      health.info(('suggestions %s, as %s'):format(infill.enabled and 'on' or 'off (:InfillToggle)',
        delivery == 'inline' and 'ghost text' or delivery == 'items' and 'completion items' or 'nothing'))
    end
    local indexing = infill.indexing(client.id)
    if indexing:find('^done') then
      health.ok('indexing: ' .. indexing)
    else
      health.info('indexing: ' .. indexing)
    end
  end
end

function M.check()
  local health = vim.health
  check_neovim(health)
  local cmd = require('infill').cmd()
  local path = check_binary(health, cmd)
  if path then
    check_model(health, path, cmd)
  end
  check_servers(health)
end

return M
