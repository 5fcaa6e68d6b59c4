--- Infill for Neovim: starts the `infill` language server for the configured filetypes and shows
--- its suggestions, as ghost text (`vim.lsp.inline_completion`, Neovim 0.12+) or as completion
--- items (`vim.lsp.completion`, Neovim 0.11). See docs/editors.md and `:help infill` is not
--- shipped; `:checkhealth infill` checks the setup.
local M = {}

local NAME = 'infill'

--- The defaults; `setup()` merges the user's options over them.
M.defaults = {
  --- The server's command. Default: { <binary>, 'lsp', '--stdio' } where <binary> is `binary`.
  cmd = nil,
  --- The `infill` binary: this option, else `vim.g.infill_binary`, else `infill` on PATH, else
  --- ~/.cache/infill-target/release/infill (where scripts/setup builds it).
  binary = nil,
  --- Passed as `--log-file`; nil logs to Neovim's LSP log (stderr of the server).
  log_file = nil,
  filetypes = {
    'python', 'rust', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'go',
    'c', 'cpp', 'java', 'cs', 'ruby', 'sh', 'lua',
  },
  root_markers = { '.git' },
  --- Sent as `initializationOptions`: the same shape as ~/.config/infill/config.toml, e.g.
  --- { completion = { time_budget_ms = 800 } }.
  init_options = nil,
  --- Insert-mode keys for ghost text (Neovim 0.12+). Each falls through to what the key did
  --- before (your own mapping, or the key itself) when no suggestion is shown. `false` turns a
  --- key (or, for the whole table, all of them) off.
  keymaps = {
    accept = '<Tab>',
    accept_word = '<M-Right>',
    accept_line = '<M-C-Right>',
    --- Alternatives: the first press asks the server for up to `completion.candidates`
    --- suggestions, later presses cycle through them.
    next = '<M-]>',
    prev = '<M-[>',
  },
  --- Completion items (Neovim 0.11, or a server that only offers items): ask automatically on the
  --- server's trigger characters (`.`, `(`, space); otherwise use <C-x><C-o>.
  autotrigger = true,
}

M.config = vim.deepcopy(M.defaults)
M.enabled = true
--- `$/progress` seen per client: progress[client_id][token] = { title, message, percentage, done }.
M.progress = {}
local did_setup = false

local function notify(message, level)
  vim.notify('Infill: ' .. message, level or vim.log.levels.INFO, { title = 'Infill' })
end

--- The binary the configuration names (not checked).
function M.binary()
  local configured = M.config.binary or vim.g.infill_binary
  if configured and configured ~= '' then
    return vim.fn.expand(configured)
  end
  local on_path = vim.fn.exepath('infill')
  if on_path ~= '' then
    return on_path
  end
  return vim.fn.expand('~/.cache/infill-target/release/infill')
end

--- The command that starts the server.
function M.cmd()
  if M.config.cmd then
    return M.config.cmd
  end
  local cmd = { M.binary(), 'lsp', '--stdio' }
  if M.config.log_file then
    vim.list_extend(cmd, { '--log-file', vim.fn.expand(M.config.log_file) })
  end
  return cmd
end

--- Whether this Neovim has LSP inline completion (0.12+).
function M.has_inline()
  return vim.fn.has('nvim-0.12') == 1 and pcall(require, 'vim.lsp.inline_completion')
end

--- Running Infill clients, those attached to `bufnr` when given.
function M.clients(bufnr)
  return vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
end

--- How a client delivers suggestions: 'inline', 'items' or nil (the server offers neither).
function M.delivery(client)
  local capabilities = client.server_capabilities or {}
  if capabilities.inlineCompletionProvider and M.has_inline() then
    return 'inline'
  elseif capabilities.completionProvider then
    return 'items'
  end
end

--- Turns suggestions on or off for `client` in `bufnr` (all its buffers when nil).
local function apply_enabled(client, bufnr)
  local delivery = M.delivery(client)
  if delivery == 'inline' then
    vim.lsp.inline_completion.enable(M.enabled, { client_id = client.id })
  elseif delivery == 'items' then
    local buffers = bufnr and { bufnr } or vim.lsp.get_buffers_by_client_id(client.id)
    for _, buffer in ipairs(buffers) do
      if vim.api.nvim_buf_is_valid(buffer) then
        vim.lsp.completion.enable(M.enabled, client.id, buffer, { autotrigger = M.config.autotrigger })
      end
    end
  end
end

--- The Infill client for `bufnr` (default: current), or nil with a message.
local function client_for(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1] or M.clients()[1]
  if not client then
    notify('no Infill server is attached (open a file of a configured filetype)', vim.log.levels.WARN)
  end
  return client
end

--- `infill/status` of `client` (default: the current buffer's), passed to `callback(err, status)`.
function M.status(callback, client)
  client = client or client_for()
  if not client then
    return
  end
  client:request('infill/status', {}, function(err, result)
    callback(err, result, client)
  end, vim.api.nvim_get_current_buf())
end

--- The progress of `client`'s indexing as one line.
function M.indexing(client_id)
  local seen = M.progress[client_id] or {}
  local indexing = seen['infill/indexing']
  if not indexing then
    return 'no indexing progress seen yet'
  end
  local parts = { indexing.done and 'done' or 'in progress' }
  if indexing.message then
    table.insert(parts, indexing.message)
  end
  if not indexing.done and indexing.percentage then
    table.insert(parts, indexing.percentage .. '%')
  end
  return table.concat(parts, ': ')
end

--- `status` as lines for people.
function M.format_status(status, client)
  local lines = {}
  local delivery = M.delivery(client)
  table.insert(lines, ('Infill %s (client %d, root %s)'):format(
    status.version or '?', client.id, client.root_dir or 'none'))
  local engine = 'engine: ' .. tostring(status.engine)
  if status.capabilities and status.capabilities ~= vim.NIL then
    local c = status.capabilities
    engine = engine .. (' — %s, %s, %d tokens of context'):format(
      c.name, c.family, c.context_length or 0)
  end
  if (status.engine_busy or 0) > 0 then
    engine = engine .. (' (busy: %d)'):format(status.engine_busy)
  end
  table.insert(lines, engine)
  table.insert(lines, ('suggestions: %s as %s'):format(
    M.enabled and 'on' or 'off',
    delivery == 'inline' and 'ghost text' or delivery == 'items' and 'completion items' or 'nothing'))
  table.insert(lines, 'indexing: ' .. M.indexing(client.id))
  table.insert(lines, ('open documents: %s, position encoding: %s'):format(
    tostring(status.open_documents), tostring(status.position_encoding)))
  local stats = status.stats
  if stats and stats ~= vim.NIL then
    local latency = stats.median_latency_ms
    table.insert(lines, ('requests: %d, suggestions: %d, accepted: %d (+%d partly), median latency: %s'):format(
      stats.requests or 0, stats.suggestions or 0, stats.accepted or 0,
      stats.partially_accepted or 0,
      (latency and latency ~= vim.NIL) and (latency .. ' ms') or 'n/a'))
  end
  return lines
end

--- `:InfillStatus`
function M.show_status()
  M.status(function(err, status, client)
    if err then
      notify('infill/status failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    notify(table.concat(M.format_status(status, client), '\n'))
  end)
end

--- `:InfillToggle`: suggestions on or off (`enable` forces one).
function M.toggle(enable)
  if enable == nil then
    M.enabled = not M.enabled
  else
    M.enabled = enable
  end
  for _, client in ipairs(M.clients()) do
    apply_enabled(client)
  end
  notify('suggestions ' .. (M.enabled and 'on' or 'off'))
end

--- The LSP range of lines `line1`..`line2` (1-based, inclusive) of `bufnr`.
local function line_range(bufnr, line1, line2, client)
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ''
  local encoding = client.offset_encoding or 'utf-16'
  return {
    start = { line = line1 - 1, character = 0 },
    ['end'] = { line = line2 - 1, character = vim.str_utfindex(last, encoding) },
  }
end

--- Asks `client` for code actions over `range` and lets the user pick those `keep` accepts.
local function pick_code_action(client, bufnr, range, keep, what)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = range,
    context = { diagnostics = {}, triggerKind = 1 },
  }
  client:request('textDocument/codeAction', params, function(err, actions)
    if err then
      notify(what .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    actions = vim.tbl_filter(keep, actions or {})
    if #actions == 0 then
      notify('the server offered no ' .. what .. ' action here')
      return
    end
    vim.ui.select(actions, {
      prompt = 'Infill ' .. what,
      format_item = function(action)
        return action.title
      end,
    }, function(action)
      if not action then
        return
      end
      if action.edit then
        vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
      end
      local command = type(action.command) == 'table' and action.command
        or (type(action.command) == 'string' and action)
      if command then
        client:exec_cmd(command, { bufnr = bufnr })
      end
    end)
  end, bufnr)
end

--- Shows an explanation (Markdown) in a scratch buffer, unless the server already opened it
--- (`window/showDocument`).
local function show_markdown(result)
  if type(result) ~= 'table' or type(result.markdown) ~= 'string' or result.shownAsDocument then
    return
  end
  vim.cmd('botright new')
  local buffer = vim.api.nvim_get_current_buf()
  vim.bo[buffer].buftype = 'nofile'
  vim.bo[buffer].filetype = 'markdown'
  vim.api.nvim_buf_set_lines(buffer, 0, -1, false, vim.split(result.markdown, '\n', { plain = true }))
  vim.bo[buffer].modifiable = false
end

--- Runs `command` (an `infill.*` workspace command) when the server advertises it, else its code
--- actions matching `keep`, else says that this server does not support `what` yet.
--- `argument` gets `uri` and `range` added.
local function run_feature(opts, command, keep, what, argument, on_result)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    return
  end
  local capabilities = client.server_capabilities or {}
  local commands = capabilities.executeCommandProvider
      and capabilities.executeCommandProvider.commands or {}
  local range = line_range(bufnr, opts.line1 or vim.fn.line('.'), opts.line2 or vim.fn.line('.'), client)
  if vim.tbl_contains(commands, command) then
    argument = vim.tbl_extend('force', argument or {}, { uri = vim.uri_from_bufnr(bufnr), range = range })
    notify(what .. '…')
    client:request('workspace/executeCommand', { command = command, arguments = { argument } },
      function(err, result)
        if err then
          notify(what .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
        elseif on_result then
          on_result(result)
        end
      end, bufnr)
  elseif capabilities.codeActionProvider then
    pick_code_action(client, bufnr, range, keep, what)
  else
    notify(('%s is not supported by this server yet (it advertises neither the `%s` command nor code actions)')
      :format(what, command), vim.log.levels.WARN)
  end
end

--- `:InfillRefactor [instruction]` over the given lines; asks for the instruction when none is
--- given. The server plans, edits and checks, then applies one multi-file edit (`u` undoes it
--- per buffer).
function M.refactor(opts)
  opts = opts or {}
  local function run(instruction)
    if not instruction or vim.trim(instruction) == '' then
      return
    end
    run_feature(opts, 'infill.refactor', function(action)
      return action.kind == nil or vim.startswith(action.kind, 'refactor')
    end, 'refactoring', { instruction = instruction, scope = 'selection' }, function(result)
      if type(result) ~= 'table' then
        return
      end
      if result.applied then
        notify(('refactor applied to %d file(s)'):format(#(result.files or {})))
      else
        notify('refactor not applied: ' .. tostring(result.failureReason or 'the editor refused it'),
          vim.log.levels.WARN)
      end
    end)
  end
  if opts.args and opts.args ~= '' then
    run(opts.args)
  else
    vim.ui.input({ prompt = 'Infill refactor: ' }, run)
  end
end

--- `:InfillExplain` over the given lines.
function M.explain(opts)
  run_feature(opts or {}, 'infill.explain', function(action)
    return (action.title or ''):lower():find('explain', 1, true) ~= nil
  end, 'explaining code', {}, show_markdown)
end

--- Tells the server where the cursor rests (`infill/didFocus`), so that it can compute the
--- prompt there before the first keystroke asks for a suggestion.
local function focus(args)
  local bufnr = args.buf
  if not M.enabled then
    return
  end
  for _, client in ipairs(M.clients(bufnr)) do
    local win = vim.fn.bufwinid(bufnr)
    if win ~= -1 then
      local params = vim.lsp.util.make_position_params(win, client.offset_encoding)
      client:notify('infill/didFocus', { textDocument = params.textDocument, position = params.position })
    end
  end
end

local function on_attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= NAME then
    return
  end
  if M.has_inline() then
    require('infill.keymaps').wrap_requests(client)
  end
  if M.enabled then
    apply_enabled(client, args.buf)
    focus(args)
  end
end

local function on_progress(args)
  local data = args.data or {}
  local client = data.client_id and vim.lsp.get_client_by_id(data.client_id)
  if not client or client.name ~= NAME or not data.params then
    return
  end
  local token, value = data.params.token, data.params.value
  if type(value) ~= 'table' then
    return
  end
  M.progress[client.id] = M.progress[client.id] or {}
  local entry = M.progress[client.id][token] or {}
  entry.title = value.title or entry.title
  entry.message = value.message or entry.message
  entry.percentage = value.percentage or entry.percentage
  entry.done = value.kind == 'end'
  M.progress[client.id][token] = entry
end

--- Sets up Infill: the LSP configuration, enabling it, and the keymaps.
function M.setup(opts)
  if vim.fn.has('nvim-0.11') ~= 1 then
    notify('Neovim 0.11 or newer is needed (vim.lsp.config and vim.lsp.enable)', vim.log.levels.ERROR)
    return
  end
  opts = opts or {}
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- Lists replace the defaults instead of merging index by index.
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if opts[key] ~= nil then
      M.config[key] = opts[key]
    end
  end
  if opts.keymaps == false then
    M.config.keymaps = false
  end

  vim.lsp.config(NAME, {
    cmd = M.cmd(),
    filetypes = M.config.filetypes,
    root_markers = M.config.root_markers,
    init_options = M.config.init_options,
  })

  local group = vim.api.nvim_create_augroup('infill', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', { group = group, callback = on_attach })
  vim.api.nvim_create_autocmd('LspProgress', { group = group, callback = on_progress })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'CursorHoldI' }, { group = group, callback = focus })

  if M.has_inline() and M.config.keymaps then
    require('infill.keymaps').set(M.config.keymaps)
  end
  did_setup = true
  vim.lsp.enable(NAME)
end

--- Whether `setup()` ran.
function M.is_setup()
  return did_setup
end

return M
