--- Insert-mode keys for ghost text (Neovim 0.12+): accept the whole suggestion, its next word or
--- its next line. When nothing is shown, a key does what it did before Infill mapped it: the
--- user's own mapping (copied to a <Plug> mapping) or else the key itself.
local M = {}

local DESC = 'Infill: '

--- The part of the suggestion `kind` takes from `rest` (what is not in the buffer yet).
function M.chunk(rest, kind)
  if kind == 'word' then
    return rest:match('^\r?\n[ \t]*')
      or rest:match('^[ \t]*[%w_\128-\255]+')
      or rest:match('^[ \t]*[^%w_\128-\255%s]+')
      or rest:match('^%s+')
      or rest
  elseif kind == 'line' then
    return rest:match('^\r?\n[^\n]*') or rest:match('^[^\n]*')
  end
  return rest
end

--- Tells the Infill server that a suggestion was accepted (it counts them, locally).
local function report(client_id, kind)
  local client = vim.lsp.get_client_by_id(client_id)
  if client and client.name == 'infill' then
    client:notify('infill/didAccept', { kind = kind })
  end
end

--- Inserts `item` (a vim.lsp.inline_completion.Item), or the next `kind` ('word', 'line') of it.
function M.apply(item, kind)
  local bufnr = vim.api.nvim_get_current_buf()
  local win = vim.api.nvim_get_current_win()
  local text = item.insert_text
  if type(text) ~= 'string' then
    if text.kind == 'snippet' then
      vim.snippet.expand(text.value)
    end
    report(item.client_id, 'full')
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local range = item.range
  local start_row, start_col = row, col
  if range then
    start_row, start_col = range.start.row, range.start.col
  end
  -- What the user typed since the request, from the item's start to the cursor: accepted already.
  local typed = ''
  if start_row == row and start_col <= col then
    typed = vim.api.nvim_buf_get_text(bufnr, row, start_col, row, col, {})[1] or ''
  end
  if text:sub(1, #typed) ~= typed then
    -- The buffer went another way; replace the item's range as Neovim's default does.
    typed, kind = nil, nil
  end

  local insert_row, insert_col, end_row, end_col, new_text
  if kind == 'word' or kind == 'line' then
    local chunk = M.chunk(text:sub(#typed + 1), kind)
    insert_row, insert_col, end_row, end_col, new_text = row, col, row, col, chunk
  else
    insert_row, insert_col = start_row, start_col
    end_row, end_col = start_row, start_col
    if range then
      end_row, end_col = range.end_.row, range.end_.col
    end
    if typed and (end_row < row or (end_row == row and end_col < col)) then
      end_row, end_col = row, col
    end
    new_text = text
  end
  local lines = vim.split(new_text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, insert_row, insert_col, end_row, end_col, lines)
  vim.api.nvim_win_set_cursor(win, {
    insert_row + #lines,
    (#lines == 1 and insert_col or 0) + #lines[#lines],
  })
  local partial = (kind == 'word' or kind == 'line') and #typed + #new_text < #text
  report(item.client_id, partial and 'partial' or 'full')
  if item.command and not partial then
    local client = vim.lsp.get_client_by_id(item.client_id)
    if client then
      client:exec_cmd(item.command, { bufnr = bufnr })
    end
  end
end

--- Accepts the shown suggestion (or its next word or line); false when none is shown.
function M.accept(kind)
  if not require('infill').enabled then
    return false
  end
  return vim.lsp.inline_completion.get({
    on_accept = function(item)
      M.apply(item, kind)
    end,
  })
end

--- Where alternatives were last asked for, per buffer: `changedtick:line:col`.
local asked = {}
--- Buffers whose next inline completion request goes out as an explicit one.
local invoke = {}

--- Makes `client`'s next inline completion request for a buffer marked by `M.cycle` an
--- explicit one (`triggerKind = Invoked`), which the server answers with alternatives. Neovim's
--- built-in client only sends automatic requests; this wraps the client's `request`.
function M.wrap_requests(client)
  if client._infill_wrapped then
    return
  end
  client._infill_wrapped = true
  local request = client.request
  client.request = function(self, method, params, handler, bufnr)
    if method == 'textDocument/inlineCompletion' and type(params) == 'table' and params.context then
      local target = bufnr or vim.api.nvim_get_current_buf()
      if invoke[target] then
        invoke[target] = nil
        params.context.triggerKind = 1
      end
    end
    return request(self, method, params, handler, bufnr)
  end
end

--- Cycles through alternative suggestions (`count` forward, negative backward). The first use at
--- a position asks the server again with an explicit request, which it answers with up to
--- `completion.candidates` suggestions; later uses move between them. False when no suggestion
--- is shown.
function M.cycle(count)
  if not require('infill').enabled then
    return false
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local here = ('%d:%d:%d'):format(vim.b[bufnr].changedtick, cursor[1], cursor[2])
  if asked[bufnr] == here then
    vim.lsp.inline_completion.select({ bufnr = bufnr, count = count })
    return true
  end
  asked[bufnr] = here
  invoke[bufnr] = true
  -- The built-in client asks again on CursorMovedI (after its short debounce).
  vim.api.nvim_exec_autocmds('CursorMovedI', { buffer = bufnr, modeline = false })
  return true
end

--- A <Plug> mapping doing what `lhs` did in insert mode before Infill mapped it.
local function fallback(lhs, name)
  local plug = '<Plug>(infill-fallback-' .. name .. ')'
  local previous = vim.fn.maparg(lhs, 'i', false, true)
  if vim.tbl_isempty(previous) or (previous.desc or ''):sub(1, #DESC) == DESC then
    if vim.fn.maparg(plug, 'i') == '' then
      vim.keymap.set('i', plug, lhs, { desc = 'Infill: the key itself' })
    end
    return plug
  end
  local rhs = previous.callback
  if not rhs then
    rhs = previous.rhs or ''
    if previous.sid and previous.sid > 0 then
      rhs = rhs:gsub('<SID>', '<SNR>' .. previous.sid .. '_')
    end
  end
  vim.keymap.set('i', plug, rhs, {
    expr = previous.expr == 1,
    remap = previous.noremap ~= 1,
    silent = previous.silent == 1,
    nowait = previous.nowait == 1,
    replace_keycodes = previous.replace_keycodes == 1 or nil,
    desc = 'Infill: fallback for ' .. lhs .. (previous.desc and (': ' .. previous.desc) or ''),
  })
  return plug
end

--- Maps the keys in `keymaps` ({ accept =, accept_word =, accept_line =, next =, prev = };
--- false skips one).
function M.set(keymaps)
  local kinds = { accept = 'full', accept_word = 'word', accept_line = 'line' }
  for name, kind in pairs(kinds) do
    local lhs = keymaps[name]
    if lhs then
      local plug = fallback(lhs, name)
      vim.keymap.set('i', lhs, function()
        if M.accept(kind) then
          return ''
        end
        return plug
      end, { expr = true, remap = true, silent = true, desc = DESC .. (name:gsub('_', ' ')) })
    end
  end
  for name, count in pairs({ next = 1, prev = -1 }) do
    local lhs = keymaps[name]
    if lhs then
      vim.keymap.set('i', lhs, function()
        M.cycle(count)
      end, { silent = true, desc = DESC .. (count > 0 and 'next suggestion' or 'previous suggestion') })
    end
  end
end

return M
